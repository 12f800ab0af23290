package dev.signet.rotation;

import dev.signet.signer.KeyBackend;
import dev.signet.signer.SigningAlgorithm;
import dev.signet.signer.SigningKey;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One key that never rotates: the backend's first key, generated on first start. Its publication has
 * no end, so tokens are limited only by their ttl.
 */
public final class SingleKeyRing implements KeyRing {

    private final SigningKey key;
    private final Duration maxAge;

    public SingleKeyRing(KeyBackend backend, SigningAlgorithm algorithm, Duration jwksMaxAge) {
        List<SigningKey> keys = backend.list();
        this.key = keys.isEmpty() ? backend.generate(algorithm) : keys.getFirst();
        this.maxAge = jwksMaxAge;
    }

    @Override
    public SigningSlot signingSlot() {
        return new SigningSlot(key, Instant.MAX);
    }

    @Override
    public List<SigningKey> published() {
        return List.of(key);
    }

    @Override
    public Duration jwksMaxAge() {
        return maxAge;
    }

    @Override
    public List<KeyView> describe() {
        return List.of(new KeyView(key.id(), key.algorithm().name(), "ACTIVE", null, null, null, null));
    }
}
