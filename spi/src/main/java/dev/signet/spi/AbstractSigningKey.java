package dev.signet.spi;

import java.security.PublicKey;

/**
 * What every backend's {@link SigningKey} holds from the start (id, algorithm, public key), so an implementation
 * writes only {@link #sign}. {@code toString} shows this metadata, never key material.
 */
public abstract class AbstractSigningKey implements SigningKey {

    private final String id;
    private final SigningAlgorithm algorithm;
    private final PublicKey publicKey;

    protected AbstractSigningKey(String id, SigningAlgorithm algorithm, PublicKey publicKey) {
        this.id = id;
        this.algorithm = algorithm;
        this.publicKey = publicKey;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final SigningAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public final PublicKey publicKey() {
        return publicKey;
    }

    /**
     * Whether {@code jwsSignature} is this key's signature of {@code input}, checked as a JOSE verifier would, for
     * backends that check a device's or service's output before using it.
     */
    protected final boolean verifies(byte[] input, byte[] jwsSignature) {
        return JcaSigningKey.verifies(publicKey, algorithm, input, jwsSignature);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + algorithm + " " + id + "]";
    }
}
