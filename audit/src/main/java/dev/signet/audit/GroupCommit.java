package dev.signet.audit;

/**
 * How many receipts the audit writer gathers into one group before its fdatasync, and for how long.
 *
 * <p>An fdatasync costs the kernel ~80 microseconds of CPU on a virtio disk, many times a record's own work, so
 * the more records share one the less CPU a token pays for durability. A request parked on its group uses no CPU:
 * while requests keep arriving, other requests keep the cores busy and a longer wait for a bigger group costs a
 * closed loop no throughput. So the group aims at what the recent arrival rate brings in {@link #WINDOW_NANOS}, or
 * at as many receipts as the last group held if more (requests answered together come back together: the mean
 * rate over a cycle that includes the fdatasync understates them), at most {@link #MAX_RECEIPTS}. Two things stop
 * the wait early: a step of four mean intervals between receipts in which nothing arrived (everyone who could come
 * is probably waiting already: do not idle the cores), and, before any wait, a request that is the only one since
 * the last group opened over a window ago (a lone request is written at once). A request's latency grows by at
 * most the window. The writer thread alone uses an instance; it is pure arithmetic on the times it is given.
 */
final class GroupCommit {

    /** The longest a group is held open for more receipts. */
    static final long WINDOW_NANOS = 1_000_000;
    /** Gathering stops after a step in which no receipt arrived: four mean intervals, at least this. */
    static final long MIN_STEP_NANOS = WINDOW_NANOS / 5;
    /** Receipts aimed at in one group (a batch request is one receipt). */
    static final int MAX_RECEIPTS = 32;

    /** Mean nanoseconds between receipts, smoothed over the last groups; unknown (no group yet) is "idle". */
    private double interval = Double.POSITIVE_INFINITY;
    private long lastOpen;
    private long queuedAtLastOpen;
    private boolean opened;
    private int lastGroup;

    /**
     * Called as a group opens, with the writer's clock and the count of receipts ever queued: returns the number
     * of receipts to gather before writing, 1 or less meaning write at once.
     */
    int open(long nowNanos, long queued) {
        boolean pause = true;
        if (opened) {
            long arrived = queued - queuedAtLastOpen;
            long gap = nowNanos - lastOpen;
            double sample = (double) gap / Math.max(1, arrived);
            interval = Double.isInfinite(interval) ? sample : (interval + sample) / 2;
            pause = arrived <= 1 && gap > WINDOW_NANOS;
        }
        opened = true;
        lastOpen = nowNanos;
        queuedAtLastOpen = queued;
        if (pause) {
            return 1; // a lone request: nobody to wait for, whatever the last group held
        }
        return (int) Math.min(MAX_RECEIPTS, Math.max(lastGroup, WINDOW_NANOS / interval));
    }

    /** How long to wait for the next receipt before deciding that none is coming. */
    long step() {
        double four = 4 * interval;
        return four >= WINDOW_NANOS ? WINDOW_NANOS : Math.max(MIN_STEP_NANOS, (long) four);
    }

    /** Called when a group has been written, with its number of receipts. */
    void written(int receipts) {
        lastGroup = receipts;
    }
}
