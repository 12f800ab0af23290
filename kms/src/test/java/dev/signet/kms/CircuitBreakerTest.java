package dev.signet.kms;

import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CircuitBreakerTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(10), clock);

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            assertEquals(Optional.empty(), breaker.tryAcquire());
            breaker.onFailure();
        }
    }

    @Test
    void opensAfterThresholdConsecutiveFailuresOnly() {
        fail(2);
        breaker.onSuccess();
        fail(2);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "a success resets the count");
        fail(1);
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        clock.advance(Duration.ofSeconds(4));
        assertEquals(Optional.of(Duration.ofSeconds(6)), breaker.tryAcquire());
    }

    @Test
    void afterTheCoolDownExactlyOneProbeGoesOut() {
        fail(3);
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), breaker.tryAcquire());
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        assertTrue(breaker.tryAcquire().isPresent(), "a second caller must not probe too");
        breaker.onSuccess();
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertEquals(Optional.empty(), breaker.tryAcquire());
    }

    @Test
    void aFailedProbeReopensForAFullCoolDown() {
        fail(3);
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), breaker.tryAcquire());
        breaker.onFailure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertEquals(Optional.of(Duration.ofSeconds(10)), breaker.tryAcquire());
    }

    @Test
    void anUnusedProbeSlotIsHandedBack() {
        fail(3);
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), breaker.tryAcquire());
        breaker.releaseUnusedProbe();
        assertEquals(Optional.empty(), breaker.tryAcquire(), "the next caller may probe at once");
    }
}
