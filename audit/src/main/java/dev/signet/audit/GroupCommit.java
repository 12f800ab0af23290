package dev.signet.audit;

/**
 * How many records the audit writer gathers into one group before its fdatasync, and for how long.
 *
 * <p>An fdatasync costs the kernel ~80 microseconds of CPU on a virtio disk, many times a record's own work, so
 * the more records share one the less CPU a token pays for durability. A request parked on its group uses no CPU:
 * while requests keep arriving, other requests keep the cores busy and a longer wait for a bigger group costs a
 * closed loop no throughput. So the group aims at the records the recent arrival rate brings in {@link #WINDOW_NANOS},
 * or at as many as the last group held if more (requests answered together come back together: the mean
 * rate over a cycle that includes the fdatasync understates them), at most {@link #MAX_RECORDS}. Two things stop
 * the wait early: a step of four mean intervals between records in which nothing arrived (everyone who could come
 * is probably waiting already: do not idle the cores), and, before any wait, fewer than two records a window since the
 * last group opened over a window ago (a lone request is written at once; so is a batch request of
 * {@link #MAX_RECORDS} records or more, which shares its own fdatasync already). A request's latency grows by at
 * most the window. The writer thread alone uses an instance; it is pure arithmetic on the times it is given.
 */
final class GroupCommit {

    /** The longest a group is held open for more records. */
    static final long WINDOW_NANOS = 1_000_000;
    /** Gathering stops after a step in which no record arrived: four mean intervals, at least this. */
    static final long MIN_STEP_NANOS = WINDOW_NANOS / 5;
    /** Records aimed at in one group. */
    static final int MAX_RECORDS = 32;

    /** Mean nanoseconds between records, smoothed over the last groups; unknown (no group yet) is "idle". */
    private double interval = Double.POSITIVE_INFINITY;
    private long lastOpen;
    private long queuedAtLastOpen;
    private boolean opened;
    private int lastGroup;

    /**
     * Called as a group opens, with the writer's clock and the count of records ever queued: returns the number
     * of records to gather before writing, 1 or less meaning write at once.
     */
    int open(long nowNanos, long queued) {
        return open(nowNanos, queued, WINDOW_NANOS, MAX_RECORDS);
    }

    /** As {@link #open(long, long)}, aiming at what arrives in {@code window} nanoseconds, at most {@code max}. */
    int open(long nowNanos, long queued, long window, int max) {
        boolean pause = true;
        if (opened) {
            long arrived = queued - queuedAtLastOpen;
            long gap = nowNanos - lastOpen;
            double sample = (double) gap / Math.max(1, arrived);
            interval = Double.isInfinite(interval) ? sample : (interval + sample) / 2;
            pause = gap > WINDOW_NANOS && sample > WINDOW_NANOS / 2; // under two records a window: a pause
        }
        opened = true;
        lastOpen = nowNanos;
        queuedAtLastOpen = queued;
        if (pause) {
            return 1; // a lone request: nobody to wait for, whatever the last group held
        }
        return (int) Math.min(max, Math.max(lastGroup, window / interval));
    }

    /** How long to wait for the next record before deciding that none is coming. */
    long step() {
        double four = 4 * interval;
        return four >= WINDOW_NANOS ? WINDOW_NANOS : Math.max(MIN_STEP_NANOS, (long) four);
    }

    /** Called when a group has been written, with its number of records. */
    void written(int records) {
        lastGroup = records;
    }
}
