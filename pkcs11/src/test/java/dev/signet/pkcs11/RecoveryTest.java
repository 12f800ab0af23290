package dev.signet.pkcs11;

import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Recovery}'s edges, over connections that are plain strings. */
class RecoveryTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final List<String> released = new ArrayList<>();
    private Supplier<String> next = () -> "second";

    private final Recovery<String> recovery = new Recovery<>("peer", "first", clock, scheduler, Duration.ofSeconds(1),
            Duration.ofSeconds(4), new Recovery.Connector<>() {
        @Override
        public String reconnect(String failed) {
            release(failed);
            return next.get();
        }

        @Override
        public void release(String connection) {
            if (connection != null) {
                released.add(connection);
            }
        }

        @Override
        public boolean permanent(Exception e) {
            return false;
        }

        @Override
        public String describe(Exception e) {
            return e.getMessage();
        }
    });

    @Test
    void degradedAlwaysHasAnAttemptScheduled() {
        recovery.fault("first", "CKR_DEVICE_ERROR");
        assertNull(recovery.current());
        assertEquals(Duration.ZERO, scheduler.nextIn().orElseThrow());
        assertTrue(recovery.degraded().orElseThrow().contains("peer failed at 2026-11-30T08:00:00Z: CKR_DEVICE_ERROR"));
        scheduler.runDue();
        assertEquals("second", recovery.current());
        assertEquals(List.of("first"), released);
    }

    @Test
    void aFaultOnAConnectionAlreadyReplacedIsIgnored() {
        recovery.fault("first", "x");
        scheduler.runDue();
        recovery.fault("first", "late report from a caller of the old connection");
        assertEquals("second", recovery.current());
        assertTrue(recovery.degraded().isEmpty());
        assertTrue(scheduler.nextIn().isEmpty());
    }

    @Test
    void theRetryHintIsTheTimeToTheNextAttempt() {
        next = () -> {
            throw new IllegalStateException("still down");
        };
        assertEquals(Duration.ofSeconds(1), recovery.retryAfter(), "connected: the initial backoff");
        recovery.fault("first", "x");
        scheduler.runDue();
        assertEquals(Duration.ofSeconds(1), recovery.retryAfter());
        clock.advance(Duration.ofMillis(300));
        assertEquals(Duration.ofMillis(700), recovery.retryAfter());
        assertTrue(recovery.degraded().orElseThrow().contains("reconnecting failed: still down"));
    }

    @Test
    void closingWhileAnAttemptRunsReleasesWhatTheAttemptOpened() {
        next = () -> {
            recovery.close();
            return "opened during close";
        };
        recovery.fault("first", "x");
        scheduler.runDue();
        assertNull(recovery.current());
        assertEquals("opened during close", released.getLast(), "a login opened after close is released");
        assertTrue(released.contains("first"));
        assertEquals("peer is closed", recovery.degraded().orElseThrow());
    }
}
