package dev.signet.pkcs11;

import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.security.PublicKey;

/**
 * A kid on the token, stable across reconnects: each signature is made by whatever key the backend's current
 * connection holds under this kid, which is the key whose public key hashes to it, or none.
 */
record Pkcs11SigningKey(Pkcs11KeyBackend backend, String id, SigningAlgorithm algorithm, PublicKey publicKey)
        implements SigningKey {

    /**
     * @throws dev.signet.spi.SignetException UNAVAILABLE while the token fails or recovers, or when the key is
     *                                           no longer on the token
     */
    @Override
    public byte[] sign(byte[] signingInput) {
        return backend.sign(id, signingInput);
    }

    @Override
    public String toString() {
        return "Pkcs11SigningKey[" + algorithm + " " + id + "]";
    }
}
