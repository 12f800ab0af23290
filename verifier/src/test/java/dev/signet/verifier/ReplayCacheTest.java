package dev.signet.verifier;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import dev.signet.verifier.testing.SeededCases;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
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
    void expiredIdsAreDroppedLongBeforeTheCacheIsFull() {
        // 1 000 ids a second, each remembered for a second: at most 2 000 are live at once.
        ReplayCache cache = new ReplayCache(clock, 20_000);
        int most = 0;
        for (int i = 0; i < 100_000; i++) {
            if (i % 1000 == 0) {
                clock.now = clock.now.plusSeconds(1);
            }
            assertTrue(cache.firstUse("id-" + i, clock.now.plusSeconds(1)), "refused " + i);
            most = Math.max(most, cache.size());
        }
        // A stripe is rebuilt when half full into a table at most a quarter full, so it holds at most about four
        // times the ids live at its last rebuild: well under 10 000 here, where keeping expired ids would reach 20 000.
        assertTrue(most <= 10_000, "held " + most + " ids, expired ones kept too long");
    }

    @Test
    void agreesWithAMapOfExpiries() {
        SeededCases.forAll(200, 0x5eed_cafeL, r -> {
            int capacity = 1 + r.nextInt(12);
            ReplayCache cache = new ReplayCache(clock, capacity);
            Map<String, Instant> model = new HashMap<>();
            for (int step = 0; step < 300; step++) {
                if (r.nextInt(8) == 0) { // whole seconds: a full cache sweeps at most once a second
                    clock.now = clock.now.plusSeconds(1 + r.nextInt(3));
                }
                String id = "jti-" + r.nextInt(20);
                Instant expires = clock.now.plusSeconds(r.nextInt(6) - 1);
                Instant now = clock.now;
                model.values().removeIf(e -> !e.isAfter(now));
                boolean expected;
                if (model.containsKey(id)) {
                    expected = false;
                } else if (!expires.isAfter(now)) {
                    expected = true;
                } else if (model.size() < capacity) {
                    model.put(id, expires);
                    expected = true;
                } else {
                    expected = false;
                }
                assertEquals(expected, cache.firstUse(id, expires), "step " + step + ": " + id + " with " + model);
            }
        });
    }

    @Test
    void expiriesBeyondMillisecondsAreNeverAndLongAgo() {
        ReplayCache cache = new ReplayCache(clock, 10);
        assertTrue(cache.firstUse("forever", Instant.MAX));
        clock.now = clock.now.plusSeconds(86_400L * 365 * 1000);
        assertFalse(cache.firstUse("forever", Instant.MAX), "still remembered a thousand years on");
        assertTrue(cache.firstUse("never", Instant.MIN), "an expiry long past is not remembered");
        assertTrue(cache.firstUse("never", Instant.MIN));
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
