package dev.signet.rotation;

import dev.signet.spi.SigningKey;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The keys of one issuer as the API sees them: one to sign with, several to publish. */
public interface KeyRing extends AutoCloseable {

    /** The key to sign with now, and until when it is guaranteed to stay published. */
    record SigningSlot(SigningKey key, Instant publishedUntil) {
    }

    /**
     * A key as operators see it. {@code state} is the lifecycle state's name; times may be null.
     * {@code destroys} is when a revoked key is (or was) deleted from the backend.
     */
    record KeyView(String kid, String algorithm, String state, Instant created, Instant activates,
                   Instant retires, Instant unpublishes, Instant destroys) {
    }

    /**
     * @throws dev.signet.spi.SignetException UNAVAILABLE if no key may sign right now
     */
    SigningSlot signingSlot();

    /** The keys verifiers must be able to find now, in a stable order. */
    List<SigningKey> published();

    /** How long verifiers may cache the JWKS; derived from the rotation policy. */
    Duration jwksMaxAge();

    /** Every key with its state and the times of its next transitions. */
    List<KeyView> describe();

    /** Applies what is due now (re-reading shared state); the {@link RotationScheduler} calls it every check interval. */
    default void tick() {
    }

    @Override
    default void close() {
    }
}
