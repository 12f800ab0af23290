package dev.signet.kms;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A client-side request budget: {@code ratePerSecond} tokens a second, bursts up to one second's worth.
 * A caller reserves a token and is told how long to wait for it; a caller that would wait longer than it
 * may is refused without taking one, so the queue behind the bucket stays bounded.
 */
final class TokenBucket {

    /** A reservation: {@code granted} with the {@code delay} before the call may go out, or refused. */
    record Permit(boolean granted, Duration delay) {
    }

    private final double ratePerNano;
    private final double capacity;
    private final Clock clock;
    private double tokens;
    private Instant last;

    /** @param ratePerSecond must be positive */
    TokenBucket(double ratePerSecond, Clock clock) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
        }
        this.ratePerNano = ratePerSecond / 1e9;
        this.capacity = Math.max(1, ratePerSecond);
        this.clock = clock;
        this.tokens = capacity;
        this.last = clock.instant();
    }

    /**
     * Takes a token if one is available within {@code maxWait}. Tokens may go negative: each waiting
     * caller holds a slot in the queue, so later callers wait longer.
     *
     * @return a granted permit with the time to wait, or a refused one whose {@code delay} says when a
     *         token would have been available (a Retry-After hint)
     */
    synchronized Permit reserve(Duration maxWait) {
        Instant now = clock.instant();
        long elapsed = Math.max(0, Duration.between(last, now).toNanos());
        tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return new Permit(true, Duration.ZERO);
        }
        Duration wait = Duration.ofNanos((long) Math.ceil((1 - tokens) / ratePerNano));
        if (wait.compareTo(maxWait) > 0) {
            return new Permit(false, wait);
        }
        tokens -= 1;
        return new Permit(true, wait);
    }
}
