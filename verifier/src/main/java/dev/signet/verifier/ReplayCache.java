package dev.signet.verifier;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Proof identifiers seen, each until its expiry. In memory, so it covers one process: replicas behind one
 * endpoint need a shared {@link ProofReplays} (the daemon's PostgreSQL store has one) to refuse a replay sent to
 * another replica.
 * Full, it refuses new entries (fail closed) rather than forget live ones.
 *
 * <p>Concurrent requests do not wait on each other: each id is checked and claimed atomically on its own. Expired
 * ids are swept once as many ids were added since the last sweep as the cache then held (at least 1024), so the
 * sweep costs O(1) per id; a full cache is swept before it refuses. (A cache that only swept when full kept expired
 * ids until then, and then scanned them all under one lock for every id.)
 */
public final class ReplayCache implements ProofReplays {

    private static final int MIN_SWEEP_EVERY = 1024;

    private final Clock clock;
    private final int capacity;
    private final ConcurrentHashMap<String, Instant> seen = new ConcurrentHashMap<>();
    private final AtomicInteger addedSinceSweep = new AtomicInteger();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile int sweepEvery = MIN_SWEEP_EVERY;

    public ReplayCache(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** True the first time {@code id} is presented before {@code expires}; false for a replay or when full. */
    @Override
    public boolean firstUse(String id, Instant expires) {
        Instant now = clock.instant();
        if (addedSinceSweep.get() >= sweepEvery || seen.size() >= capacity) {
            sweep(now);
        }
        if (seen.size() >= capacity && !seen.containsKey(id)) {
            return false;
        }
        boolean[] first = {false};
        seen.compute(id, (k, previous) -> {
            if (previous != null && previous.isAfter(now)) {
                return previous;
            }
            first[0] = true;
            return expires;
        });
        if (first[0]) {
            addedSinceSweep.incrementAndGet();
        }
        return first[0];
    }

    /** Removes expired ids; one thread at a time, the others go on. */
    private void sweep(Instant now) {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            addedSinceSweep.set(0);
            seen.values().removeIf(expiry -> !expiry.isAfter(now));
            sweepEvery = Math.max(MIN_SWEEP_EVERY, seen.size());
        } finally {
            sweeping.set(false);
        }
    }

    /** How many ids are held, expired ones not yet swept included. */
    int size() {
        return seen.size();
    }
}
