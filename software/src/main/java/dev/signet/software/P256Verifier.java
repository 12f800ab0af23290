package dev.signet.software;

/**
 * ES256 signature verification (ECDSA on P-256 with SHA-256, JWS's R || S form) in a native library, for the
 * daemon's own hot path (token exchange verifies three signatures). The result is the JDK's: a signature of
 * another length, or with R or S outside [1, n-1], is invalid; a high S is valid (JWS does not require low S).
 * Thread-safe.
 */
public interface P256Verifier {

    /** The library, its version and how it is reached, for the start-up log and metrics. */
    String description();

    /**
     * @param x         the public point's affine x, 32 bytes big-endian (a JWK's {@code x})
     * @param y         its y, likewise
     * @param data      the signed bytes (a JWS signing input)
     * @param signature R || S, 32 bytes each
     * @return whether the signature is valid for this key and data
     * @throws IllegalArgumentException if x and y are not 32 bytes each or not a point on P-256
     */
    boolean verify(byte[] x, byte[] y, byte[] data, byte[] signature);
}
