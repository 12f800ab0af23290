package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.time.Instant;
import java.util.Objects;

/**
 * One key's journal entry: its state and the times of its transitions, scheduled and actual.
 * Instances are immutable; {@link KeySet.Builder} makes new ones as keys move on.
 *
 * @param kid            the key id (RFC 7638 thumbprint), the backend's id for it
 * @param prepared       when the key was journaled as PREPARED, i.e. first published; never null
 * @param activates      when a PREPARED key is scheduled to become ACTIVE
 * @param activated      when it became ACTIVE, null if never
 * @param retires        when an ACTIVE key is scheduled to retire
 * @param retired        when it was retired, null if never
 * @param unpublishes    when a RETIRED key is scheduled to leave the JWKS
 * @param unpublished    when it actually left the JWKS (REMOVED or REVOKED)
 * @param destroyAfter   when a REVOKED key may be deleted from the backend (the revocation's grace, to
 *                       investigate with the key intact); null means at once
 * @param destroyed      when it was deleted from the backend
 * @param forcedBecause  why it was activated before its prepublish lead had passed, or null if it was not
 * @param revokedBecause why it was revoked, or null
 */
public record KeyRecord(String kid, SigningAlgorithm algorithm, KeyState state, Instant prepared,
                        Instant activates, Instant activated, Instant retires, Instant retired,
                        Instant unpublishes, Instant unpublished, Instant destroyAfter, Instant destroyed,
                        String forcedBecause, String revokedBecause) {

    /**
     * @throws IllegalArgumentException if the kid is blank, or a time the state needs is missing
     *                                  (ACTIVE needs activated and retires, RETIRED needs retired and
     *                                  unpublishes, REMOVED and REVOKED need unpublished, DESTROYED needs destroyed)
     */
    public KeyRecord {
        if (kid == null || kid.isBlank() || kid.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("kid must be non-blank without whitespace");
        }
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(prepared, "prepared");
        switch (state) {
            case PREPARED -> require(activates, "activates", kid);
            case ACTIVE -> {
                require(activated, "activated", kid);
                require(retires, "retires", kid);
            }
            case RETIRED -> {
                require(retired, "retired", kid);
                require(unpublishes, "unpublishes", kid);
            }
            case REMOVED -> require(unpublished, "unpublished", kid);
            case REVOKED -> {
                require(unpublished, "unpublished", kid);
                require(revokedBecause, "revokedBecause", kid);
            }
            case DESTROYED -> require(destroyed, "destroyed", kid);
        }
    }

    /** A key just journaled as PREPARED: published from {@code now}, to activate at {@code activates}. */
    static KeyRecord prepared(String kid, SigningAlgorithm algorithm, Instant now, Instant activates) {
        return new Builder(kid, algorithm, KeyState.PREPARED, now).activates(activates).build();
    }

    KeyRecord activated(Instant now, Instant retires, String forcedBecause) {
        return toBuilder(KeyState.ACTIVE).activated(now).retires(retires).forcedBecause(forcedBecause).build();
    }

    KeyRecord retired(Instant now, Instant unpublishes) {
        return toBuilder(KeyState.RETIRED).retired(now).unpublishes(unpublishes).build();
    }

    KeyRecord removed(Instant now) {
        return toBuilder(KeyState.REMOVED).unpublished(now).build();
    }

    KeyRecord revoked(Instant now, String because, Instant destroyAfter) {
        return toBuilder(KeyState.REVOKED).unpublished(now).revokedBecause(because).destroyAfter(destroyAfter).build();
    }

    KeyRecord destroyableAt(Instant at) {
        return toBuilder(state).destroyAfter(at).build();
    }

    KeyRecord destroyed(Instant now) {
        return toBuilder(KeyState.DESTROYED).destroyed(now).build();
    }

    KeyRecord rescheduled(Instant activates) {
        return toBuilder(state).activates(activates).build();
    }

    /** This record's fields in {@code state}, to change some of them. */
    Builder toBuilder(KeyState state) {
        return new Builder(kid, algorithm, state, prepared).activates(activates).activated(activated).retires(retires)
                .retired(retired).unpublishes(unpublishes).unpublished(unpublished).destroyAfter(destroyAfter).destroyed(destroyed)
                .forcedBecause(forcedBecause).revokedBecause(revokedBecause);
    }

    /** Names each time, so no caller passes thirteen positional arguments. Unset times are null. */
    static final class Builder {
        private final String kid;
        private final SigningAlgorithm algorithm;
        private final KeyState state;
        private final Instant prepared;
        private Instant activates;
        private Instant activated;
        private Instant retires;
        private Instant retired;
        private Instant unpublishes;
        private Instant unpublished;
        private Instant destroyAfter;
        private Instant destroyed;
        private String forcedBecause;
        private String revokedBecause;

        Builder(String kid, SigningAlgorithm algorithm, KeyState state, Instant prepared) {
            this.kid = kid;
            this.algorithm = algorithm;
            this.state = state;
            this.prepared = prepared;
        }

        Builder activates(Instant t) {
            activates = t;
            return this;
        }

        Builder activated(Instant t) {
            activated = t;
            return this;
        }

        Builder retires(Instant t) {
            retires = t;
            return this;
        }

        Builder retired(Instant t) {
            retired = t;
            return this;
        }

        Builder unpublishes(Instant t) {
            unpublishes = t;
            return this;
        }

        Builder unpublished(Instant t) {
            unpublished = t;
            return this;
        }

        Builder destroyAfter(Instant t) {
            destroyAfter = t;
            return this;
        }

        Builder destroyed(Instant t) {
            destroyed = t;
            return this;
        }

        Builder forcedBecause(String s) {
            forcedBecause = s;
            return this;
        }

        Builder revokedBecause(String s) {
            revokedBecause = s;
            return this;
        }

        /** @throws IllegalArgumentException as {@link KeyRecord#KeyRecord} */
        KeyRecord build() {
            return new KeyRecord(kid, algorithm, state, prepared, activates, activated, retires, retired, unpublishes,
                    unpublished, destroyAfter, destroyed, forcedBecause, revokedBecause);
        }
    }

    private static void require(Object value, String name, String kid) {
        if (value == null) {
            throw new IllegalArgumentException("key " + kid + " lacks " + name + " for its state");
        }
    }
}
