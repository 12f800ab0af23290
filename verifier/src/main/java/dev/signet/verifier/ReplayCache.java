package dev.signet.verifier;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Proof identifiers seen, each until its expiry. In memory, so it covers one process: replicas behind one
 * endpoint need a shared {@link ProofReplays} (the daemon's PostgreSQL store has one) to refuse a replay sent to
 * another replica.
 * Full, it refuses new entries (fail closed) rather than forget live ones.
 *
 * <p>Each id is kept as the first 128 bits of its SHA-256 and its expiry, in arrays of {@code long}s: no object per
 * id. An id lives up to two proof windows (two minutes), so a cache of objects had every young collection copy the
 * last minutes' ids again (~24 MB at 3 000 exchanges/s: 20-30 ms pauses, most of an exchange's p99); arrays of
 * primitives have nothing for the collector to trace. SHA-256 because ids are chosen by clients: nobody can make
 * two ids collide, or pile ids onto one probe chain.
 *
 * <p>Concurrent requests only wait for those whose ids hash to the same stripe. A stripe's table is rebuilt
 * without its expired ids whenever it is half full, sized to its live ids (at most a quarter full after), so
 * expired ids cost O(1) per id to forget; a full cache sweeps every stripe (at most once a second) before it
 * refuses.
 */
public final class ReplayCache implements ProofReplays {

    private static final int STRIPES = 64;
    private static final int MIN_SLOTS = 16;

    private final Clock clock;
    private final int capacity;
    private final Stripe[] stripes = new Stripe[STRIPES];
    /** Ids held (expired ones not yet dropped included): at most {@code capacity}. */
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicLong lastSweep = new AtomicLong(Long.MIN_VALUE / 2);
    private final MessageDigest sha256;

    public ReplayCache(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** True the first time {@code id} is presented before {@code expires}; false for a replay or when full. */
    @Override
    public boolean firstUse(String id, Instant expires) {
        java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(digest(id));
        long hi = d.getLong(0);
        long lo = d.getLong(8);
        long now = clock.millis();
        long until = millis(expires);
        boolean storing = until > now; // an expiry already past is remembered for no time (0 marks an empty slot)
        Stripe stripe = stripes[(int) (hi >>> 58)];
        for (boolean swept = false; ; swept = true) {
            stripe.lock.lock();
            try {
                int found = stripe.find(hi, lo);
                if (found >= 0 && stripe.table[found + 2] > now) {
                    return false;
                }
                if (!storing) {
                    return true;
                }
                if (found >= 0) { // expired: the slot is reused, nothing more is held
                    stripe.table[found + 2] = until;
                    return true;
                }
                if (tryReserve()) {
                    held.addAndGet(-stripe.insert(hi, lo, until, now));
                    return true;
                }
                if (swept) {
                    return false;
                }
            } finally {
                stripe.lock.unlock();
            }
            sweep(now); // outside the stripe's lock: it takes every stripe's in turn
        }
    }

    /**
     * Drops every stripe's expired ids before a full cache refuses an id; at most once a second, so that a cache
     * kept full does not cost a scan of every id per request.
     */
    private void sweep(long now) {
        long last = lastSweep.get();
        if (now - last < 1000 || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                held.addAndGet(-s.rebuild(now));
            } finally {
                s.lock.unlock();
            }
        }
    }

    /** Epoch milliseconds, saturated: an instant past what a long holds is "never" or "long ago", not an error. */
    private static long millis(Instant t) {
        try {
            return t.toEpochMilli();
        } catch (ArithmeticException e) {
            return t.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private boolean tryReserve() {
        for (int n = held.get(); n < capacity; n = held.get()) {
            if (held.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    private byte[] digest(String id) {
        MessageDigest md;
        try {
            md = (MessageDigest) sha256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        return md.digest(id.getBytes(StandardCharsets.UTF_8));
    }

    /** How many ids are held, expired ones not yet dropped included. */
    int size() {
        return held.get();
    }

    /** Open addressing, linear probing; a slot is three longs: the digest's two halves and the expiry (0: empty). */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        long[] table = new long[MIN_SLOTS * 3];
        int used;

        int slots() {
            return table.length / 3;
        }

        /** The index of {@code (hi, lo)}'s slot, or -1. */
        int find(long hi, long lo) {
            int mask = slots() - 1;
            for (int i = (int) lo & mask; ; i = (i + 1) & mask) {
                int at = i * 3;
                if (table[at + 2] == 0) {
                    return -1;
                }
                if (table[at] == hi && table[at + 1] == lo) {
                    return at;
                }
            }
        }

        /** Adds an id known to be absent; returns how many expired ids a rebuild dropped to make room. */
        int insert(long hi, long lo, long until, long now) {
            int dropped = (used + 1) * 2 > slots() ? rebuild(now) : 0;
            place(hi, lo, until);
            used++;
            return dropped;
        }

        /**
         * Copies the live ids into a table at most a quarter full (at least {@link #MIN_SLOTS}), so at least a
         * quarter of the slots are inserted before the next rebuild; returns how many expired ids it dropped.
         */
        int rebuild(long now) {
            long[] old = table;
            int live = 0;
            for (int at = 0; at < old.length; at += 3) {
                if (old[at + 2] > now) {
                    live++;
                }
            }
            int slots = Math.max(MIN_SLOTS, Integer.highestOneBit(4 * (live + 1) - 1) << 1);
            table = new long[slots * 3];
            for (int at = 0; at < old.length; at += 3) {
                if (old[at + 2] > now) {
                    place(old[at], old[at + 1], old[at + 2]);
                }
            }
            int dropped = used - live;
            used = live;
            return dropped;
        }

        private void place(long hi, long lo, long until) {
            int mask = slots() - 1;
            int i = (int) lo & mask;
            while (table[i * 3 + 2] != 0) {
                i = (i + 1) & mask;
            }
            table[i * 3] = hi;
            table[i * 3 + 1] = lo;
            table[i * 3 + 2] = until;
        }
    }
}
