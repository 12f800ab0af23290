package dev.signet.rotation;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * The scheduled lifecycle as pure functions of (now, journal, policy): no clock, no I/O. The caller
 * persists {@link Plan#next()}, then runs the backend actions, journaling each result.
 */
public final class Rotation {

    /** Why the first key of an issuer signs without a lead: no verifier can have cached a JWKS that never existed. */
    public static final String BOOTSTRAP = "bootstrap: the issuer's first key";

    private Rotation() {
    }

    /**
     * What is due at {@code now}.
     *
     * @param next     the journal after the due transitions (the same instance when nothing changed)
     * @param destroy  kids to delete from the backend after {@code next} is persisted (REMOVED or REVOKED)
     * @param generate a new key is needed: generate it, then journal it with {@link #withNewKey}
     */
    public record Plan(KeySet next, List<String> destroy, boolean generate) {
        public boolean idle() {
            return destroy.isEmpty() && !generate;
        }
    }

    /**
     * The successor is prepared two leads before the ACTIVE key's scheduled retirement (at once without an
     * ACTIVE key): one lead for caches, one of margin so a late tick or a backend outage of up to a lead
     * still activates on schedule. {@link RotationPolicy} keeps the period at least two leads.
     */
    public static boolean shouldPrepareNext(Instant now, KeySet set, RotationPolicy policy) {
        if (set.prepared().isPresent()) {
            return false;
        }
        Optional<KeyRecord> active = set.active();
        return active.isEmpty() || !now.isBefore(active.get().retires().minus(policy.prepublishLead().multipliedBy(2)));
    }

    /**
     * The PREPARED key activates once it has been published for the lead and its scheduled time came;
     * with no ACTIVE key (recovery) only the lead counts.
     */
    public static boolean shouldActivateNext(Instant now, KeySet set, RotationPolicy policy) {
        Optional<KeyRecord> prepared = set.prepared();
        if (prepared.isEmpty()) {
            return false;
        }
        Instant leadEnds = prepared.get().prepared().plus(policy.prepublishLead());
        Instant due = set.active().isEmpty() ? leadEnds : latest(leadEnds, prepared.get().activates());
        return !now.isBefore(due);
    }

    /** The due transitions, in the order that keeps every invariant: unpublish, forget, activate, then prepare. */
    public static Plan step(Instant now, KeySet set, RotationPolicy policy) {
        KeySet.Builder b = set.toBuilder(policy);
        for (KeyRecord k : set.keys()) {
            if (k.state() == KeyState.RETIRED && !now.isBefore(k.unpublishes())) {
                b.remove(k.kid(), now);
            } else if (k.state() == KeyState.DESTROYED && !now.isBefore(k.destroyed().plus(policy.rotationPeriod()))) {
                b.prune(k.kid());
            }
        }
        if (shouldActivateNext(now, set, policy)) {
            b.activate(set.prepared().orElseThrow().kid(), now, null);
        }
        KeySet next = b.build();
        List<String> destroy = next.inStates(EnumSet.of(KeyState.REMOVED, KeyState.REVOKED)).stream()
                .map(KeyRecord::kid).toList();
        return new Plan(next, destroy, shouldPrepareNext(now, next, policy));
    }

    /**
     * Journals a key just generated for {@link Plan#generate()}: PREPARED, to activate at the ACTIVE key's
     * scheduled retirement but never before one lead from now; for an unstarted journal, ACTIVE at once
     * (forced, {@link #BOOTSTRAP}).
     */
    public static KeySet withNewKey(Instant now, KeySet set, RotationPolicy policy, String kid,
                                    dev.signet.spi.SigningAlgorithm algorithm) {
        Instant leadEnds = now.plus(policy.prepublishLead());
        Instant activates = set.active().map(a -> latest(a.retires(), leadEnds)).orElse(leadEnds);
        KeySet.Builder b = set.toBuilder(policy).prepare(kid, algorithm, now, activates);
        if (set.unstarted()) {
            b.activate(kid, now, BOOTSTRAP);
        }
        return b.build();
    }

    static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
