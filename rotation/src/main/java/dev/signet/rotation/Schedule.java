package dev.signet.rotation;

import java.time.Instant;
import java.util.Optional;

/**
 * When each transition of a key's life falls, derived from a {@link RotationPolicy}: the one place that
 * adds periods, leads and retentions to instants, for master keys and subkeys alike. {@link Lifecycle}
 * decides what is due by asking it; {@code rotation/README.md} explains the timeline.
 */
public record Schedule(RotationPolicy policy) {

    /**
     * When the successor of a key retiring at {@code retires} is prepared: two leads before, one lead for
     * caches and one of margin, so a late tick or a backend outage of up to a lead still activates on
     * schedule. {@link RotationPolicy} keeps the period at least two leads.
     */
    public Instant prepareSuccessorAt(Instant retires) {
        return retires.minus(RotationPolicy.times(policy.prepublishLead(), 2));
    }

    /** When a key first published at {@code published} has been in every verifier's cache for the lead. */
    public Instant leadEnds(Instant published) {
        return published.plus(policy.prepublishLead());
    }

    /** When a key published {@code now} is to sign: when the current signer retires, never before one lead. */
    public Instant activationOfNew(Instant now, Optional<Instant> currentRetires) {
        Instant leadEnds = leadEnds(now);
        return currentRetires.map(r -> latest(r, leadEnds)).orElse(leadEnds);
    }

    /**
     * When the PREPARED key {@code next} activates: once published for the lead and its scheduled time
     * came; with no ACTIVE key (recovery), once published for the lead.
     */
    public Instant activationDue(KeyRecord next, boolean activeExists) {
        Instant leadEnds = leadEnds(next.prepared());
        return activeExists ? latest(leadEnds, next.activates()) : leadEnds;
    }

    /**
     * The scheduled retirement of {@code next} activating at {@code now}. A scheduled activation that runs a
     * little late (within a lead) keeps the schedule, so ticks do not make rotation drift.
     */
    public Instant retirementOf(KeyRecord next, Instant now, boolean forced) {
        boolean onSchedule = !forced && !now.isBefore(next.activates())
                && now.isBefore(next.activates().plus(policy.prepublishLead()));
        return (onSchedule ? next.activates() : now).plus(policy.rotationPeriod());
    }

    /** A key activating at {@code activates} retires one period later (projections and subkey certifiers). */
    public Instant retirementIfActivatedAt(Instant activates) {
        return activates.plus(policy.rotationPeriod());
    }

    /** A key retiring at {@code retired} stays published until every token it may have signed has expired. */
    public Instant unpublicationAfter(Instant retired) {
        return retired.plus(policy.retention());
    }

    /** The latest retirement that still lets a key be unpublished by {@code unpublishes}. */
    public Instant lastRetirementBefore(Instant unpublishes) {
        return unpublishes.minus(policy.retention());
    }

    /** How long the ACTIVE key {@code active} is guaranteed to stay published: the cap on its tokens' {@code exp}. */
    public Instant publishedUntil(KeyRecord active) {
        return unpublicationAfter(active.retires());
    }

    /** When a key revoked at {@code revoked} may be deleted from the backend: after the destroy grace. */
    public Instant destroyAfterRevocation(Instant revoked) {
        return revoked.plus(policy.destroyGrace());
    }

    /** Whether the REMOVED or REVOKED key {@code k} may be deleted from the backend now. */
    public boolean destroyDue(Instant now, KeyRecord k) {
        return k.destroyAfter() == null || !now.isBefore(k.destroyAfter());
    }

    /** When a DESTROYED record is forgotten, so the journal stays bounded. */
    public Instant pruneAt(KeyRecord destroyed) {
        return destroyed.destroyed().plus(policy.rotationPeriod());
    }

    /** Whether a key whose successor would retire at {@code lastRetirement} needs that successor prepared now. */
    public boolean successorDue(Instant now, Instant lastRetirement) {
        return !now.isBefore(prepareSuccessorAt(lastRetirement));
    }

    /**
     * When the ACTIVE key {@code active} actually retires: the journal keeps its scheduled retirement until a
     * successor activates, but activating the PREPARED key retires it (after an operator's rotate, sooner).
     */
    public Instant actualRetirement(KeyRecord active, Optional<Instant> successorActivates) {
        return successorActivates.filter(s -> s.isBefore(active.retires())).orElse(active.retires());
    }

    /**
     * {@code k}'s transition times, actual where they happened and projected where they will;
     * {@code successorActivates} is when the earliest PREPARED key activates, if any.
     */
    KeyRing.KeyView projected(KeyRecord k, Optional<Instant> successorActivates) {
        Instant activates = k.activated() != null ? k.activated() : k.state() == KeyState.PREPARED ? k.activates() : null;
        Instant retires = k.retired() != null ? k.retired()
                : k.state() == KeyState.ACTIVE ? actualRetirement(k, successorActivates)
                : k.retires() != null ? k.retires()
                : k.state() == KeyState.PREPARED ? retirementIfActivatedAt(activates) : null;
        Instant unpublishes = k.unpublished() != null ? k.unpublished() : k.unpublishes() != null ? k.unpublishes()
                : retires != null && k.state().published() ? unpublicationAfter(retires) : null;
        Instant destroys = k.destroyed() != null ? k.destroyed()
                : k.state() == KeyState.REVOKED ? (k.destroyAfter() != null ? k.destroyAfter() : k.unpublished()) : null;
        return new KeyRing.KeyView(k.kid(), k.algorithm().name(), k.state().name(), k.prepared(), activates, retires,
                unpublishes, destroys);
    }

    static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
