package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The lifecycle as pure functions of (now, journal, policy): the scheduled {@link #step} and the operator
 * commands. No clock, no I/O: each returns a {@link Plan} that {@link MasterKeyRing} executes. Times come
 * from the policy's {@link Schedule}; {@link KeySet.Builder} only checks that each transition is legal.
 *
 * <p>A command that needs a new key is called twice: without one it answers a plan with
 * {@link Plan#generate()} set; the ring has the backend generate a key and calls the same command again
 * with it as {@code fresh}, which journals it.
 */
public final class Lifecycle {

    /** Why the first key of an issuer signs without a lead: no verifier can have cached a JWKS that never existed. */
    public static final String BOOTSTRAP = "bootstrap: the issuer's first key";
    /** Why a key was revoked at start-up. */
    public static final String LOST = "missing from the key backend at start-up";
    static final String OPERATOR_ACTIVATION = "operator activation";
    static final String OPERATOR_REVOCATION = "operator revocation";

    private Lifecycle() {
    }

    /** A key the backend generated for a plan that asked for one. */
    public record NewKey(String kid, SigningAlgorithm algorithm) {
    }

    /**
     * What to do.
     *
     * @param next     the journal to persist first (the same instance when nothing changes)
     * @param destroy  kids to delete from the backend once {@code next} is persisted, each then journaled
     *                 with {@link #destroyed}
     * @param generate a key is needed: generate one, then call the same function again with it
     */
    public record Plan(KeySet next, List<String> destroy, boolean generate) {
        public Plan {
            destroy = List.copyOf(destroy);
        }

        static Plan journal(KeySet next) {
            return new Plan(next, List.of(), false);
        }

        /** Nothing can be journaled before the key exists. */
        static Plan needKey(KeySet unchanged) {
            return new Plan(unchanged, List.of(), true);
        }

        public boolean idle() {
            return destroy.isEmpty() && !generate;
        }
    }

    /** No PREPARED key, and the ACTIVE key's successor is due (or there is no ACTIVE key). */
    public static boolean shouldPrepareNext(Instant now, KeySet set, RotationPolicy policy) {
        if (set.prepared().isPresent()) {
            return false;
        }
        Optional<KeyRecord> active = set.active();
        return active.isEmpty() || policy.schedule().successorDue(now, active.get().retires());
    }

    /** The PREPARED key's activation is due (see {@link Schedule#activationDue}). */
    public static boolean shouldActivateNext(Instant now, KeySet set, RotationPolicy policy) {
        Optional<KeyRecord> prepared = set.prepared();
        return prepared.isPresent()
                && !now.isBefore(policy.schedule().activationDue(prepared.get(), set.active().isPresent()));
    }

    /** {@link #step(Instant, KeySet, RotationPolicy, NewKey)} before any key was generated. */
    public static Plan step(Instant now, KeySet set, RotationPolicy policy) {
        return step(now, set, policy, null);
    }

    /**
     * The due transitions, in the order that keeps every invariant: unpublish, forget, activate, then
     * prepare. Keys to destroy are the REMOVED ones and the REVOKED ones whose destroy grace is over. With {@code fresh}, the successor asked for
     * is journaled PREPARED, to activate at the ACTIVE key's scheduled retirement but never before one lead
     * from now; the issuer's first key is ACTIVE at once, forced ({@link #BOOTSTRAP}).
     */
    public static Plan step(Instant now, KeySet set, RotationPolicy policy, NewKey fresh) {
        Schedule schedule = policy.schedule();
        KeySet.Builder b = set.toBuilder();
        for (KeyRecord k : set.keys()) {
            if (k.state() == KeyState.RETIRED && !now.isBefore(k.unpublishes())) {
                b.remove(k.kid(), now);
            } else if (k.state() == KeyState.DESTROYED && !now.isBefore(schedule.pruneAt(k))) {
                b.prune(k.kid());
            }
        }
        if (shouldActivateNext(now, set, policy)) {
            activate(b, set.prepared().orElseThrow(), now, null, schedule);
        }
        KeySet next = b.build();
        List<String> destroy = next.inStates(EnumSet.of(KeyState.REMOVED, KeyState.REVOKED)).stream()
                .filter(k -> schedule.destroyDue(now, k)).map(KeyRecord::kid).toList();
        if (!shouldPrepareNext(now, next, policy)) {
            requireUnused(fresh);
            return new Plan(next, destroy, false);
        }
        if (fresh == null) {
            return new Plan(next, destroy, true);
        }
        return new Plan(successor(now, next, fresh, schedule), destroy, false);
    }

    /**
     * Operator {@code prepare}: publishes a new key, to activate when the ACTIVE key is scheduled to retire
     * (or one lead from now, if later).
     *
     * @throws SignetException FAILED_PRECONDITION if a PREPARED key exists
     */
    public static Plan prepare(Instant now, KeySet set, RotationPolicy policy, NewKey fresh) {
        set.prepared().ifPresent(p -> {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + p.kid()
                    + " is PREPARED already; activate, rotate or revoke it first");
        });
        return fresh == null ? Plan.needKey(set) : Plan.journal(successor(now, set, fresh, policy.schedule()));
    }

    /**
     * Operator {@code rotate}: a rotation now. The PREPARED key (or a new one) activates as soon as it has
     * been published for the lead.
     */
    public static Plan rotate(Instant now, KeySet set, RotationPolicy policy, NewKey fresh) {
        Schedule schedule = policy.schedule();
        Optional<KeyRecord> prepared = set.prepared();
        if (prepared.isPresent()) {
            requireUnused(fresh);
            return Plan.journal(set.toBuilder()
                    .reschedule(prepared.get().kid(), schedule.leadEnds(prepared.get().prepared())).build());
        }
        if (fresh == null) {
            return Plan.needKey(set);
        }
        return Plan.journal(set.toBuilder()
                .prepare(fresh.kid(), fresh.algorithm(), now, schedule.leadEnds(now)).build());
    }

    /**
     * Operator {@code activate}: the PREPARED key {@code kid} signs now and the ACTIVE one retires. Before
     * its lead has passed this is a forced activation, recorded in the journal: verifiers with older caches
     * reject its tokens until they refresh.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not PREPARED, or if
     *                         the activation is forced while the JWKS holds {@link RotationPolicy#maxPublished()}
     *                         keys
     */
    public static Plan activate(Instant now, KeySet set, RotationPolicy policy, String kid) {
        KeyRecord next = inState(set, kid, KeyState.PREPARED);
        int published = set.published().size();
        if (now.isBefore(policy.schedule().leadEnds(next.prepared())) && published >= policy.maxPublished()) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "the JWKS already holds " + published
                    + " keys (rotation.max-published = " + policy.maxPublished() + "); a forced activation would"
                    + " add to them. Wait until " + policy.schedule().leadEnds(next.prepared()) + " to activate "
                    + kid + " without force, or until retired keys are unpublished; revoke is never refused");
        }
        KeySet.Builder b = set.toBuilder();
        activate(b, next, now, OPERATOR_ACTIVATION, policy.schedule());
        return Plan.journal(b.build());
    }

    /**
     * Operator {@code retire}: the ACTIVE key {@code kid} retires early and the PREPARED key, which must have
     * been published for the lead, takes over.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not ACTIVE or no
     *                         PREPARED key has been published for the lead ({@link #activate} forces)
     */
    public static Plan retire(Instant now, KeySet set, RotationPolicy policy, String kid) {
        KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
        if (k.state() != KeyState.ACTIVE) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is "
                    + k.state() + "; only the ACTIVE key can be retired");
        }
        KeyRecord next = set.prepared().orElseThrow(() -> new SignetException(
                SignetException.Code.FAILED_PRECONDITION, "no PREPARED key to take over; prepare one first"));
        KeySet.Builder b = set.toBuilder();
        activate(b, next, now, null, policy.schedule());
        return Plan.journal(b.build());
    }

    /**
     * Operator {@code revoke}, the emergency: {@code kid} is unpublished at once and never signs again; tokens
     * it signed stop verifying as caches refresh. If it was the key to sign with, another signs at once
     * (forced): the PREPARED one, or a new one. The key stays in the backend for the destroy grace (see
     * {@link #destroyNow}). Never refused for the number of published keys.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not published
     */
    public static Plan revoke(Instant now, KeySet set, RotationPolicy policy, String kid, NewKey fresh) {
        KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
        if (!k.state().published()) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is "
                    + k.state() + ", not published");
        }
        Schedule schedule = policy.schedule();
        String because = "operator revoked " + kid;
        KeySet.Builder b = set.toBuilder().revoke(kid, now, OPERATOR_REVOCATION, schedule.destroyAfterRevocation(now));
        boolean signerGone = k.state() == KeyState.ACTIVE || set.active().isEmpty();
        Optional<KeyRecord> successor = set.prepared().filter(p -> !p.kid().equals(kid));
        if (!signerGone || successor.isPresent()) {
            requireUnused(fresh);
            successor.filter(s -> signerGone).ifPresent(s -> activate(b, s, now, because, schedule));
            return Plan.journal(b.build());
        }
        if (fresh == null) {
            return Plan.needKey(set);
        }
        KeyRecord created = KeyRecord.prepared(fresh.kid(), fresh.algorithm(), now, now);
        b.prepare(fresh.kid(), fresh.algorithm(), now, now);
        activate(b, created, now, because, schedule);
        return Plan.journal(b.build());
    }

    /**
     * Start-up reconciliation: revokes the published keys the backend has lost; if no key is left that
     * could sign, a new one is prepared and signing waits for its lead (signing with a key verifiers may
     * not have is worse than a short outage).
     */
    public static Plan revokeLost(Instant now, KeySet set, RotationPolicy policy, Collection<String> lost,
                                  NewKey fresh) {
        if (lost.isEmpty()) {
            requireUnused(fresh);
            return Plan.journal(set);
        }
        KeySet.Builder b = set.toBuilder();
        lost.forEach(kid -> b.revoke(kid, now, LOST));
        boolean signerLeft = set.active().filter(a -> !lost.contains(a.kid())).isPresent()
                || set.prepared().filter(p -> !lost.contains(p.kid())).isPresent();
        if (signerLeft) {
            requireUnused(fresh);
            return Plan.journal(b.build());
        }
        if (fresh == null) {
            return Plan.needKey(set);
        }
        return Plan.journal(b.prepare(fresh.kid(), fresh.algorithm(), now, policy.schedule().leadEnds(now)).build());
    }

    /**
     * Operator {@code destroy --now}: a REVOKED key (or a REMOVED one) is deleted from the backend at once
     * instead of after its destroy grace.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is published (revoke it
     *                         first) or already destroyed
     */
    public static Plan destroyNow(Instant now, KeySet set, String kid) {
        KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
        return switch (k.state()) {
            case REVOKED -> new Plan(set.toBuilder().destroyAfter(kid, now).build(), List.of(kid), false);
            case REMOVED -> new Plan(set, List.of(kid), false);
            case DESTROYED -> throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                    "key " + kid + " was destroyed already, at " + k.destroyed());
            default -> throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is "
                    + k.state() + " and published; revoke it first");
        };
    }

    /** Records that the backend no longer holds the REMOVED or REVOKED key {@code kid}. */
    public static KeySet destroyed(Instant now, KeySet set, String kid) {
        return set.toBuilder().destroyed(kid, now).build();
    }

    /** Every key with its transition times, actual where they happened and projected where they will. */
    public static List<KeyRing.KeyView> describe(KeySet set, RotationPolicy policy) {
        Schedule schedule = policy.schedule();
        Optional<Instant> successor = set.keys().stream().filter(k -> k.state() == KeyState.PREPARED)
                .map(KeyRecord::activates).filter(Objects::nonNull).min(Comparator.naturalOrder());
        return set.keys().stream().map(k -> schedule.projected(k, successor)).toList();
    }

    /** Journals {@code fresh} as the next key; on an unstarted journal it is ACTIVE at once. */
    private static KeySet successor(Instant now, KeySet set, NewKey fresh, Schedule schedule) {
        Instant activates = schedule.activationOfNew(now, set.active().map(KeyRecord::retires));
        KeySet.Builder b = set.toBuilder().prepare(fresh.kid(), fresh.algorithm(), now, activates);
        if (set.unstarted()) {
            activate(b, KeyRecord.prepared(fresh.kid(), fresh.algorithm(), now, activates), now, BOOTSTRAP, schedule);
        }
        return b.build();
    }

    /**
     * {@code next} (PREPARED) signs from {@code now}; the key ACTIVE so far retires and stays published for
     * the retention.
     *
     * @param forcedBecause null for a scheduled activation, which needs the key published for the lead;
     *                      otherwise the reason recorded for skipping that wait
     */
    private static void activate(KeySet.Builder b, KeyRecord next, Instant now, String forcedBecause,
                                 Schedule schedule) {
        Instant leadEnds = schedule.leadEnds(next.prepared());
        boolean early = now.isBefore(leadEnds);
        if (forcedBecause == null && early) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + next.kid()
                    + " is published only since " + next.prepared() + "; it may sign from " + leadEnds
                    + " unless activation is forced");
        }
        b.active().ifPresent(a -> b.retire(a.kid(), now, schedule.unpublicationAfter(now)));
        b.activate(next.kid(), now, schedule.retirementOf(next, now, forcedBecause != null),
                early ? forcedBecause : null);
    }

    private static KeyRecord inState(KeySet set, String kid, KeyState expected) {
        KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
        if (k.state() != expected) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                    "key " + kid + " is " + k.state() + ", not " + expected);
        }
        return k;
    }

    private static void requireUnused(NewKey fresh) {
        if (fresh != null) {
            throw new IllegalArgumentException("no new key was asked for, yet " + fresh.kid() + " was generated");
        }
    }

    private static SignetException notFound(String kid) {
        return new SignetException(SignetException.Code.NOT_FOUND, "no key " + kid + " in the journal");
    }
}
