package dev.signet.rotation;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a key is in its life. The normal path is PREPARED → ACTIVE → RETIRED → REMOVED → DESTROYED;
 * REVOKED is the emergency exit from any published state and is followed only by DESTROYED.
 */
public enum KeyState {
    /** Published, not signing: verifiers' caches pick it up before it signs. */
    PREPARED,
    /** The one key that signs. Published. */
    ACTIVE,
    /** No longer signs; stays published while tokens it signed may still be valid. */
    RETIRED,
    /** Unpublished; waiting to be deleted from the backend. */
    REMOVED,
    /** Deleted from the backend (or found missing there). Terminal. */
    DESTROYED,
    /** Unpublished at once by an operator or because the backend lost it; deleted next. */
    REVOKED;

    /** States in the JWKS. */
    public boolean published() {
        return this == PREPARED || this == ACTIVE || this == RETIRED;
    }

    /** The states this one may legally move to. */
    public Set<KeyState> successors() {
        return switch (this) {
            case PREPARED -> EnumSet.of(ACTIVE, REVOKED);
            case ACTIVE -> EnumSet.of(RETIRED, REVOKED);
            case RETIRED -> EnumSet.of(REMOVED, REVOKED);
            case REMOVED, REVOKED -> EnumSet.of(DESTROYED);
            case DESTROYED -> EnumSet.noneOf(KeyState.class);
        };
    }
}
