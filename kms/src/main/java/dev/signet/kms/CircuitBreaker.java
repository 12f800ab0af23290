package dev.signet.kms;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Stops calling KMS while it is down. After {@code threshold} consecutive outage failures the breaker opens
 * for {@code coolDown}: calls fail at once instead of each waiting for a timeout. Then one probe call is let
 * through (half-open); its success closes the breaker, its failure opens it for another cool-down.
 * Only outages count (no connection, timeouts, 5xx); KMS answering "no" (not found, throttled) means it is up.
 */
final class CircuitBreaker {

    enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final Duration coolDown;
    private final Clock clock;
    private State state = State.CLOSED;
    private int failures;
    private Instant openedAt;
    private boolean probing;

    /** @param threshold at least 1; {@code coolDown} positive */
    CircuitBreaker(int threshold, Duration coolDown, Clock clock) {
        if (threshold < 1 || coolDown.isNegative() || coolDown.isZero()) {
            throw new IllegalArgumentException("threshold must be >= 1 and cool-down positive");
        }
        this.threshold = threshold;
        this.coolDown = coolDown;
        this.clock = clock;
    }

    /**
     * Asks to make a call.
     *
     * @return empty if the call may go out, else how long until the breaker lets a probe through
     */
    synchronized Optional<Duration> tryAcquire() {
        if (state == State.CLOSED) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), openedAt.plus(coolDown));
        if (state == State.OPEN && left.isPositive()) {
            return Optional.of(left);
        }
        if (probing) {
            // One probe at a time; the others are told to come back after a short while.
            return Optional.of(Duration.ofSeconds(1));
        }
        state = State.HALF_OPEN;
        probing = true;
        return Optional.empty();
    }

    /** The call reached KMS and KMS answered (any answer that is not an outage). */
    synchronized void onSuccess() {
        state = State.CLOSED;
        failures = 0;
        probing = false;
    }

    /** Releases a probe slot that was granted but not used to reach KMS. */
    synchronized void releaseUnusedProbe() {
        probing = false;
        if (state == State.HALF_OPEN) {
            state = State.OPEN;
        }
    }

    /** The call failed because KMS could not be reached or failed on its side. */
    synchronized void onFailure() {
        failures++;
        probing = false;
        if (state == State.HALF_OPEN || failures >= threshold) {
            state = State.OPEN;
            openedAt = clock.instant();
        }
    }

    /** Outage failures since the last call KMS answered. */
    synchronized int consecutiveFailures() {
        return failures;
    }

    synchronized State state() {
        return state;
    }

    /** How long until a probe is allowed; one second while still closed (a Retry-After hint). */
    synchronized Duration retryAfter() {
        if (state == State.CLOSED) {
            return Duration.ofSeconds(1);
        }
        Duration left = Duration.between(clock.instant(), openedAt.plus(coolDown));
        return left.isPositive() ? left : Duration.ofSeconds(1);
    }
}
