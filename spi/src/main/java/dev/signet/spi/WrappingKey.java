package dev.signet.spi;

/**
 * A symmetric key that stays in the backend (a KMS {@code ENCRYPT_DECRYPT} key, a PKCS#11 AES key) and
 * encrypts other keys' private parts, such as delegated subkeys, so they can be kept outside this process
 * without being in clear anywhere but in its memory. One backend request per call.
 */
public interface WrappingKey {

    /** The backend's name for it (ARN, alias, label), recorded beside what it wrapped. */
    String id();

    /**
     * @throws SignetException UNAVAILABLE if the backend cannot be reached
     */
    byte[] wrap(byte[] plaintext);

    /**
     * @throws SignetException INVALID_ARGUMENT if {@code wrapped} was not wrapped by this key or was altered;
     *                         UNAVAILABLE if the backend cannot be reached
     */
    byte[] unwrap(byte[] wrapped);
}
