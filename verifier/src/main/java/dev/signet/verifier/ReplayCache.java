package dev.signet.verifier;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Proof identifiers seen, each until its expiry. In memory, so it covers one process: replicas behind one
 * endpoint need a shared {@link ProofReplays} (the daemon's PostgreSQL store has one) to refuse a replay sent to
 * another replica.
 * Full, it refuses new entries (fail closed) rather than forget live ones.
 */
public final class ReplayCache implements ProofReplays {

    private final Clock clock;
    private final int capacity;
    private final Map<String, Instant> seen = new LinkedHashMap<>();

    public ReplayCache(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** True the first time {@code id} is presented before {@code expires}; false for a replay or when full. */
    @Override
    public synchronized boolean firstUse(String id, Instant expires) {
        Instant now = clock.instant();
        if (seen.size() >= capacity || seen.containsKey(id)) {
            for (Iterator<Instant> it = seen.values().iterator(); it.hasNext(); ) {
                if (!it.next().isAfter(now)) {
                    it.remove();
                }
            }
        }
        Instant previous = seen.get(id);
        if (previous != null && previous.isAfter(now)) {
            return false;
        }
        if (seen.size() >= capacity) {
            return false;
        }
        seen.put(id, expires);
        return true;
    }
}
