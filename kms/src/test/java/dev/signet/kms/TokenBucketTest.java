package dev.signet.kms;

import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aFullBucketAllowsOneSecondOfBurstThenQueuesThenRefuses() {
        TokenBucket bucket = new TokenBucket(10, clock);
        for (int i = 0; i < 10; i++) {
            assertEquals(new TokenBucket.Permit(true, Duration.ZERO), bucket.reserve(Duration.ZERO));
        }
        assertEquals(new TokenBucket.Permit(true, Duration.ofMillis(100)), bucket.reserve(Duration.ofMillis(250)));
        assertEquals(new TokenBucket.Permit(true, Duration.ofMillis(200)), bucket.reserve(Duration.ofMillis(250)));
        TokenBucket.Permit refused = bucket.reserve(Duration.ofMillis(250));
        assertFalse(refused.granted());
        assertEquals(Duration.ofMillis(300), refused.delay());
    }

    @Test
    void tokensRefillWithTimeButNeverBeyondCapacity() {
        TokenBucket bucket = new TokenBucket(2, clock);
        bucket.reserve(Duration.ZERO);
        bucket.reserve(Duration.ZERO);
        assertFalse(bucket.reserve(Duration.ZERO).granted());
        clock.advance(Duration.ofMillis(500));
        assertTrue(bucket.reserve(Duration.ZERO).granted());
        clock.advance(Duration.ofHours(1));
        assertTrue(bucket.reserve(Duration.ZERO).granted());
        assertTrue(bucket.reserve(Duration.ZERO).granted());
        assertFalse(bucket.reserve(Duration.ZERO).granted(), "an idle hour still buys only a one-second burst");
    }

    @Test
    void fractionalRatesWork() {
        TokenBucket bucket = new TokenBucket(0.5, clock);
        assertTrue(bucket.reserve(Duration.ZERO).granted());
        assertEquals(Duration.ofSeconds(2), bucket.reserve(Duration.ZERO).delay());
    }
}
