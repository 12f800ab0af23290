package dev.signet.verifier;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayCacheTest {

    static final class TestClock extends Clock {
        volatile Instant now = Instant.ofEpochSecond(VectorWriter.NOW);

        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }
    }

    final TestClock clock = new TestClock();

    @Test
    void anIdIsRefusedUntilItExpiresThenAcceptedAgain() {
        ReplayCache cache = new ReplayCache(clock, 10);
        assertTrue(cache.firstUse("a", clock.now.plusSeconds(120)));
        assertFalse(cache.firstUse("a", clock.now.plusSeconds(120)), "a replay");
        clock.now = clock.now.plusSeconds(119);
        assertFalse(cache.firstUse("a", clock.now.plusSeconds(120)), "still a replay a second before it expires");
        clock.now = clock.now.plusSeconds(1);
        assertTrue(cache.firstUse("a", clock.now.plusSeconds(120)), "expired, so no longer remembered");
    }

    @Test
    void expiredIdsAreSweptLongBeforeTheCacheIsFull() {
        ReplayCache cache = new ReplayCache(clock, 1_000_000);
        for (int i = 0; i < 3000; i++) {
            assertTrue(cache.firstUse("old-" + i, clock.now.plusSeconds(1)));
        }
        clock.now = clock.now.plusSeconds(2);
        for (int i = 0; i < 1100; i++) {
            assertTrue(cache.firstUse("new-" + i, clock.now.plusSeconds(1)));
        }
        assertEquals(1100, cache.size(), "the 3000 expired ids were swept once as many ids were added as it held");
    }

    @Test
    void concurrentClaimsOfOneIdAcceptExactlyOne() throws Exception {
        ReplayCache cache = new ReplayCache(clock, 1_000_000);
        int threads = 8;
        int ids = 2000;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> accepted = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                accepted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < ids; i++) {
                        if (cache.firstUse("jti-" + i, clock.now.plusSeconds(120))) {
                            n++;
                        }
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : accepted) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(ids, total, "each id is accepted once, whichever thread presents it first");
        }
    }
}
