package dev.signet.kms;

import dev.signet.spi.SignetException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which of this backend's keys KMS will no longer sign with (gone, disabled, pending deletion), learnt from Sign
 * refusals and from the periodic DescribeKey check, and which key signs. The backend is degraded while the key
 * last asked to sign is unusable; the rotation layer, not this class, decides which key signs, so a key counts
 * as the signer only until another key is asked to sign or for {@code inService} after its last attempt (after
 * an emergency rotation no signing traffic may arrive while readiness is DOWN, and readiness must come back).
 */
final class KeyHealth {

    private static final System.Logger LOG = System.getLogger(KeyHealth.class.getName());

    private record Attempt(KmsSigningKey key, Instant at) {
    }

    private final Clock clock;
    private final Duration inService;
    private final Duration retryAfter;
    private final Map<String, String> unusable = new ConcurrentHashMap<>();
    private volatile Attempt last;

    /**
     * @param inService  how long after its last signing attempt a key still counts as the one that signs
     * @param retryAfter the hint given to callers of an unusable key: when the next check runs
     */
    KeyHealth(Clock clock, Duration inService, Duration retryAfter) {
        this.clock = clock;
        this.inService = inService;
        this.retryAfter = retryAfter;
    }

    /** Called before each Sign. */
    void attempt(KmsSigningKey key) {
        Attempt a = last;
        if (a == null || a.key() != key || !a.at().plusSeconds(1).isAfter(clock.instant())) {
            last = new Attempt(key, clock.instant());
        }
    }

    /** Called when KMS refused to use {@code key}; returns what the caller gets: UNAVAILABLE, never NOT_FOUND. */
    SignetException refused(KmsSigningKey key, String why, SignetException refusal) {
        unusable(key, why);
        return new SignetException(SignetException.Code.UNAVAILABLE, "the signing key cannot be used right now; "
                + "retry later", retryAfter, refusal);
    }

    void unusable(KmsSigningKey key, String why) {
        if (!why.equals(unusable.put(key.id(), why))) {
            LOG.log(System.Logger.Level.ERROR, "KMS key {0} ({1}) {2}: signing with it fails until it is usable "
                    + "again or replaced; see ops/RUNBOOK.md, \"A KMS key is lost\"", key.id(), key.keyArn(), why);
        }
    }

    void usable(KmsSigningKey key) {
        if (unusable.remove(key.id()) != null) {
            LOG.log(System.Logger.Level.WARNING, "KMS key {0} is usable again", key.id());
        }
    }

    /** The key was destroyed through this backend: nothing to report about it any more. */
    void forget(String kid) {
        unusable.remove(kid);
        Attempt a = last;
        if (a != null && a.key().id().equals(kid)) {
            last = null;
        }
    }

    /** The key last asked to sign, while it still counts as the signer. */
    Optional<KmsSigningKey> signer() {
        Attempt a = last;
        return a == null || clock.instant().isAfter(a.at().plus(inService)) ? Optional.empty() : Optional.of(a.key());
    }

    /** The signer's problem, for {@code degraded()}; empty when it is usable or no key is signing. */
    Optional<String> problem() {
        return signer().flatMap(k -> Optional.ofNullable(unusable.get(k.id()))
                .map(why -> "signing key " + k.id() + " " + why + "; recover with an emergency rotation"
                        + " (ops/RUNBOOK.md, \"A KMS key is lost\")"));
    }

    /** Forgets what is known about keys other than {@code kids} (the ones the periodic check looked at). */
    void retain(Collection<String> kids) {
        unusable.keySet().retainAll(kids);
    }
}
