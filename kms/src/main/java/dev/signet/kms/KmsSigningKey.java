package dev.signet.kms;

import dev.signet.spi.AbstractSigningKey;
import dev.signet.spi.EcdsaSignatures;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

import java.security.PublicKey;
import java.util.Optional;

/**
 * A KMS asymmetric key. The public key was fetched once when the key was loaded; each {@link #sign} is one
 * KMS {@code Sign} request with {@code MessageType=RAW} (KMS hashes the input, and Ed25519 only accepts RAW),
 * addressed by key ARN rather than alias so that re-pointing an alias cannot swap the key under a kid.
 */
final class KmsSigningKey extends AbstractSigningKey {

    /** KMS's limit for a RAW message. A JWS signing input of a few KB of claims fits. */
    static final int MAX_RAW_MESSAGE = 4096;
    private static final int P256_COORDINATE = 32;

    private final String keyArn;
    private final KmsApi kms;
    private final KmsCalls calls;
    private final KeyHealth health;
    private final boolean verifySignatures;

    KmsSigningKey(String kid, SigningAlgorithm algorithm, PublicKey publicKey, String keyArn, KmsApi kms,
                  KmsCalls calls, KeyHealth health, boolean verifySignatures) {
        super(kid, algorithm, publicKey);
        this.keyArn = keyArn;
        this.kms = kms;
        this.calls = calls;
        this.health = health;
        this.verifySignatures = verifySignatures;
    }

    String keyArn() {
        return keyArn;
    }

    /**
     * @throws SignetException PAYLOAD_TOO_LARGE if the input exceeds {@value #MAX_RAW_MESSAGE} bytes (no request
     *                         is made); UNAVAILABLE / RESOURCE_EXHAUSTED (with Retry-After) when KMS is down or
     *                         throttling, and UNAVAILABLE when KMS no longer has the key or will not use it
     *                         (disabled, pending deletion: a server-side fault the backend then reports as
     *                         degraded); INTERNAL if KMS returns a signature that does not verify with this key
     */
    @Override
    public byte[] sign(byte[] signingInput) {
        if (signingInput.length == 0 || signingInput.length > MAX_RAW_MESSAGE) {
            throw new SignetException(SignetException.Code.PAYLOAD_TOO_LARGE, "a KMS-signed JWS signing input must be"
                    + " 1 to " + MAX_RAW_MESSAGE + " bytes, got " + signingInput.length);
        }
        health.attempt(this);
        byte[] raw;
        try {
            raw = calls.call("Sign", () -> kms.sign(keyArn, signingSpec(algorithm()), signingInput));
        } catch (SignetException e) {
            Optional<String> unusable = KmsCalls.keyUnusable(e);
            if (unusable.isPresent()) {
                throw health.refused(this, unusable.get(), e);
            }
            throw e;
        }
        health.usable(this);
        byte[] jws = algorithm() == SigningAlgorithm.ES256 ? EcdsaSignatures.derToConcat(raw, P256_COORDINATE) : raw;
        if (verifySignatures && !verifies(signingInput, jws)) {
            throw new SignetException(SignetException.Code.INTERNAL, "AWS KMS returned a " + algorithm()
                    + " signature that does not verify with key " + id() + " (wrong PSS salt length or key mix-up)");
        }
        return jws;
    }

    static SigningAlgorithmSpec signingSpec(SigningAlgorithm algorithm) {
        return switch (algorithm) {
            case ES256 -> SigningAlgorithmSpec.ECDSA_SHA_256;
            case PS256 -> SigningAlgorithmSpec.RSASSA_PSS_SHA_256;
            case RS256 -> SigningAlgorithmSpec.RSASSA_PKCS1_V1_5_SHA_256;
            case EdDSA -> SigningAlgorithmSpec.ED25519_SHA_512;
        };
    }
}
