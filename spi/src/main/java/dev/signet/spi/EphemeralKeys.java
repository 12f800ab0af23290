package dev.signet.spi;

/**
 * Makes signing keys that live only in this process's memory, such as delegated subkeys. The implementation
 * (the fastest measured in-memory signer) lives with the software backend; rotation only needs this call.
 */
@FunctionalInterface
public interface EphemeralKeys {

    /**
     * A new key pair whose private part stays in this process.
     *
     * @throws SignetException INVALID_ARGUMENT if the algorithm cannot be generated here
     */
    SigningKey generate(SigningAlgorithm algorithm);

    /**
     * A new key pair whose private part is also given as PKCS#8, to be wrapped; the caller clears the array.
     *
     * @throws SignetException INVALID_ARGUMENT if this implementation cannot hand out private parts
     */
    default Exportable generateExportable(SigningAlgorithm algorithm) {
        throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "these ephemeral keys cannot be wrapped");
    }

    /**
     * The signing key for an unwrapped PKCS#8 private part; the caller clears the array.
     *
     * @throws SignetException INVALID_ARGUMENT if it is not a key of {@code algorithm} matching {@code publicKey}
     */
    default SigningKey load(SigningAlgorithm algorithm, java.security.PublicKey publicKey, byte[] pkcs8) {
        throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "these ephemeral keys cannot be unwrapped");
    }

    /** A new key and its private part in PKCS#8; never printed. */
    record Exportable(SigningKey key, byte[] pkcs8) {
        @Override
        public String toString() {
            return "Exportable[" + key + "]";
        }
    }
}
