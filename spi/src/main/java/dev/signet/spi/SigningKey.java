package dev.signet.spi;

import java.security.PublicKey;

/**
 * A key that can sign, held by a {@link KeyBackend}. The private part stays in the backend;
 * implementations are thread-safe.
 */
public interface SigningKey {

    /** The key id: the RFC 7638 JWK thumbprint of the public key (see {@link Jwks#thumbprint}). */
    String id();

    SigningAlgorithm algorithm();

    PublicKey publicKey();

    /**
     * Signs a JWS signing input.
     *
     * @return the JWS signature bytes (for ECDSA the fixed-width R‖S form, not DER)
     * @throws SignetException UNAVAILABLE when the backend cannot sign right now
     */
    byte[] sign(byte[] signingInput);

    /**
     * The X.509 chain that roots this key in another, leaf first (published as the JWK's {@code x5c}); empty
     * for keys that stand alone. Delegated subkeys carry [subkey certificate, master certificate].
     */
    default java.util.List<java.security.cert.X509Certificate> certificateChain() {
        return java.util.List.of();
    }
}
