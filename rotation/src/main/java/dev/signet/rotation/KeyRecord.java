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
 * @param destroyed      when it was deleted from the backend
 * @param forcedBecause  why it was activated before its prepublish lead had passed, or null if it was not
 * @param revokedBecause why it was revoked, or null
 */
public record KeyRecord(String kid, SigningAlgorithm algorithm, KeyState state, Instant prepared,
                        Instant activates, Instant activated, Instant retires, Instant retired,
                        Instant unpublishes, Instant unpublished, Instant destroyed,
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

    static KeyRecord prepared(String kid, SigningAlgorithm algorithm, Instant now, Instant activates) {
        return new KeyRecord(kid, algorithm, KeyState.PREPARED, now, activates, null, null, null, null, null,
                null, null, null);
    }

    KeyRecord activated(Instant now, Instant retires, String forcedBecause) {
        return new KeyRecord(kid, algorithm, KeyState.ACTIVE, prepared, activates, now, retires, null, null, null,
                null, forcedBecause, null);
    }

    KeyRecord retired(Instant now, Instant unpublishes) {
        return new KeyRecord(kid, algorithm, KeyState.RETIRED, prepared, activates, activated, retires, now,
                unpublishes, null, null, forcedBecause, null);
    }

    KeyRecord removed(Instant now) {
        return new KeyRecord(kid, algorithm, KeyState.REMOVED, prepared, activates, activated, retires, retired,
                unpublishes, now, null, forcedBecause, null);
    }

    KeyRecord revoked(Instant now, String because) {
        return new KeyRecord(kid, algorithm, KeyState.REVOKED, prepared, activates, activated, retires, retired,
                unpublishes, now, null, forcedBecause, because);
    }

    KeyRecord destroyed(Instant now) {
        return new KeyRecord(kid, algorithm, KeyState.DESTROYED, prepared, activates, activated, retires, retired,
                unpublishes, unpublished, now, forcedBecause, revokedBecause);
    }

    KeyRecord rescheduled(Instant activates) {
        return new KeyRecord(kid, algorithm, state, prepared, activates, activated, retires, retired, unpublishes,
                unpublished, destroyed, forcedBecause, revokedBecause);
    }

    private static void require(Object value, String name, String kid) {
        if (value == null) {
            throw new IllegalArgumentException("key " + kid + " lacks " + name + " for its state");
        }
    }
}
