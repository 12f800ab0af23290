package dev.signet.audit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The group commit's sizing as arithmetic on given times: no clock, no threads. */
class GroupCommitTest {

    static final long US = 1_000;

    /** Opens groups every {@code gapNanos}, each after {@code perGroup} more records; returns the last target. */
    static int steady(GroupCommit g, long[] now, long[] queued, long gapNanos, int perGroup, int groups) {
        int target = 0;
        for (int i = 0; i < groups; i++) {
            now[0] += gapNanos;
            queued[0] += perGroup;
            target = g.open(now[0], queued[0]);
        }
        return target;
    }

    @Test
    void aLoneRequestIsWrittenAtOnce() {
        GroupCommit g = new GroupCommit();
        assertTrue(g.open(0, 1) <= 1, "the first group has no arrival rate to go by");
        assertTrue(g.open(2_000_000_000L, 2) <= 1, "one request after two idle seconds");
        assertTrue(g.open(2_500_000_000L, 3) <= 1, "and the next, half a second later");
        assertTrue(g.open(3_000_000_000L, 13) <= 10, "a batch request of ten records waits for no other");
    }

    @Test
    void aSteadyArrivalRateFillsAWindowsWorth() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        // one record every 50 us (20 000/s), groups opening every 250 us
        assertEquals(GroupCommit.WINDOW_NANOS / (50 * US), steady(g, now, queued, 250 * US, 5, 20));
        // one every 200 us (5 000/s)
        assertEquals(GroupCommit.WINDOW_NANOS / (200 * US), steady(g, now, queued, 1_000 * US, 5, 20));
    }

    @Test
    void aFastArrivalRateIsCapped() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        assertEquals(GroupCommit.MAX_RECORDS, steady(g, now, queued, 100 * US, 50, 20), "one every 2 us");
    }

    @Test
    void aPauseInArrivalsEndsTheWaitingAtOnce() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        assertTrue(steady(g, now, queued, 250 * US, 5, 20) > 1);
        g.written(GroupCommit.MAX_RECORDS);
        now[0] += 100_000 * US; // 100 ms without a request
        queued[0] += 1;
        assertTrue(g.open(now[0], queued[0]) <= 1, "the request after the pause is not held for company");
    }

    @Test
    void requestsAnsweredTogetherAreAwaitedTogether() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        // 20 records per group every 4 ms (a slow fdatasync): 5 per millisecond on average, but they come back at once
        assertEquals(5, steady(g, now, queued, 4_000 * US, 20, 20));
        g.written(20);
        now[0] += 4_000 * US;
        queued[0] += 20;
        assertEquals(20, g.open(now[0], queued[0]), "as many as the last group held");
    }

    @Test
    void theWindowBoundsTheWait() {
        assertTrue(GroupCommit.WINDOW_NANOS <= 2_000_000, "at most 2 ms added to a request's latency");
    }

    @Test
    void aStallIsFourMeanIntervalsWithoutAnArrivalWithinTheWindow() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        steady(g, now, queued, 500 * US, 5, 20); // one every 100 us
        assertEquals(400 * US, g.step());
        steady(g, now, queued, 50 * US, 5, 20); // one every 10 us
        assertEquals(GroupCommit.MIN_STEP_NANOS, g.step());
        steady(g, now, queued, 5_000 * US, 5, 20); // one every millisecond
        assertEquals(GroupCommit.WINDOW_NANOS, g.step());
    }

    /** With a backlog of requests the writer aims at a longer window's worth, up to the larger cap it is given. */
    @Test
    void aLongerWindowAimsAtMoreUpToItsCap() {
        GroupCommit g = new GroupCommit();
        long[] now = {0};
        long[] queued = {0};
        steady(g, now, queued, 250 * US, 5, 20); // one record every 50 us
        now[0] += 250 * US;
        queued[0] += 5;
        assertEquals(40, g.open(now[0], queued[0], 2_000_000, 64), "40 arrive in 2 ms");
        now[0] += 250 * US;
        queued[0] += 5;
        assertEquals(64, g.open(now[0], queued[0], 4_000_000, 64), "80 would arrive in 4 ms: the cap");
        now[0] += 250 * US;
        queued[0] += 5;
        assertEquals(20, g.open(now[0], queued[0]), "without a backlog: the 20 of 1 ms");
    }
}
