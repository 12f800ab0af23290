package dev.signet.api;

import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Tokens issued and refused per minter over the last hour, in one-minute buckets, for the key timeline page
 * (Prometheus keeps the long history; this is what one look at {@code /ui} shows without it). Counting is a map
 * lookup and an atomic increment; a bucket is reset lazily when its minute comes round again (a count racing
 * that reset may be lost: this is a display, not an account).
 */
final class IssuanceWindow {

    static final int MINUTES = 60;

    /** Per minute slot: the minute it counts (epoch minutes), issued, refused. */
    private static final class Counts {
        final AtomicLongArray minute = new AtomicLongArray(MINUTES);
        final AtomicLongArray issued = new AtomicLongArray(MINUTES);
        final AtomicLongArray refused = new AtomicLongArray(MINUTES);

        void add(long now, boolean ok) {
            int slot = (int) (now % MINUTES);
            long seen = minute.get(slot);
            if (seen != now && minute.compareAndSet(slot, seen, now)) {
                issued.set(slot, 0);
                refused.set(slot, 0);
            }
            (ok ? issued : refused).incrementAndGet(slot);
        }
    }

    /** One minter's last hour, oldest minute first. */
    record Series(long[] issued, long[] refused) {
        long totalIssued() {
            return java.util.Arrays.stream(issued).sum();
        }

        long totalRefused() {
            return java.util.Arrays.stream(refused).sum();
        }
    }

    private final Clock clock;
    private final Map<String, Counts> minters = new ConcurrentHashMap<>();

    IssuanceWindow(Clock clock) {
        this.clock = clock;
    }

    void issued(String minter) {
        add(minter, true);
    }

    void refused(String minter) {
        add(minter, false);
    }

    private void add(String minter, boolean ok) {
        // Minter names come from configuration (and "unauthenticated"), so the map stays small.
        minters.computeIfAbsent(minter, m -> new Counts()).add(clock.millis() / 60_000, ok);
    }

    /** Every minter seen, by name, with its last {@value #MINUTES} minutes (the current one last). */
    Map<String, Series> lastHour() {
        long now = clock.millis() / 60_000;
        Map<String, Series> out = new TreeMap<>();
        minters.forEach((name, c) -> {
            long[] issued = new long[MINUTES];
            long[] refused = new long[MINUTES];
            for (int i = 0; i < MINUTES; i++) {
                long minute = now - (MINUTES - 1) + i;
                int slot = (int) (minute % MINUTES);
                if (c.minute.get(slot) == minute) {
                    issued[i] = c.issued.get(slot);
                    refused[i] = c.refused.get(slot);
                }
            }
            out.put(name, new Series(issued, refused));
        });
        return out;
    }
}
