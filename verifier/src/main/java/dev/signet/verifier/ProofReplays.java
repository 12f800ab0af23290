package dev.signet.verifier;

import java.time.Instant;

/**
 * Proof identifiers seen, each remembered until its expiry: in one process ({@link ReplayCache}) or shared by
 * every replica behind one endpoint (the daemon's PostgreSQL store), so a proof replayed to another replica is
 * refused too.
 */
@FunctionalInterface
public interface ProofReplays {

    /**
     * True the first time {@code id} is presented before {@code expires}; false for a replay (or when the cache
     * is full). A shared cache that cannot be reached throws rather than answer true: fail closed.
     */
    boolean firstUse(String id, Instant expires);
}
