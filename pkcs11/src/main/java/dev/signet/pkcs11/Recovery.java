package dev.signet.pkcs11;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Connected, or degraded while reconnecting: the state a backend over a failing peer is in. A fault on the
 * current connection degrades it (once per connection); attempts to reconnect then run on the scheduler with
 * exponential backoff from {@code initial} to {@code max}, until one succeeds or fails permanently (a refused
 * PIN: retrying would lock the token, so it waits for an operator).
 *
 * <p>Time comes from the clock and delays go to the scheduler, so tests move time instead of waiting.
 *
 * @param <C> a connection
 */
final class Recovery<C> {

    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** How to reconnect; runs on the scheduler. */
    interface Connector<C> {

        /**
         * Releases {@code failed} (which may already have been released by an earlier attempt) and opens a new
         * connection.
         */
        C reconnect(C failed) throws Exception;

        /** Releases a connection; may be called more than once and never throws. */
        void release(C connection);

        /** True when retrying cannot help and may harm; the connection then stays degraded for an operator. */
        boolean permanent(Exception e);

        /** The failure as operators should read it (no secrets). */
        String describe(Exception e);
    }

    private final String name;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Duration initial;
    private final Duration max;
    private final Connector<C> connector;

    /** The live connection, or null while degraded; read without locking on the signing path. */
    private volatile C current;
    /** The connection that failed, until a new one is installed: what was known before the fault. */
    private C failed;
    private String reason;
    private Duration backoff;
    /** Volatile: every refused call reads it, and must not queue behind an attempt for the lock. */
    private volatile Instant nextAttempt;
    private boolean attempting;
    private boolean closed;

    /** @param name what is connected, for operators (e.g. {@code token signet-prod}) */
    Recovery(String name, C connected, Clock clock, Scheduler scheduler, Duration initial, Duration max,
             Connector<C> connector) {
        this.name = name;
        this.current = connected;
        this.clock = clock;
        this.scheduler = scheduler;
        this.initial = initial;
        this.max = max;
        this.backoff = initial;
        this.connector = connector;
    }

    /** The live connection, or null while degraded or closed. */
    C current() {
        return current;
    }

    /** The connection that failed while degraded, or null. */
    synchronized C failed() {
        return failed;
    }

    /**
     * Degrades and schedules a reconnection, unless {@code c} is no longer current (its fault was already seen).
     *
     * @param why what failed, for operators
     */
    synchronized void fault(C c, String why) {
        if (current != c || c == null || closed) {
            return;
        }
        failed = c;
        reason = name + " failed at " + clock.instant() + ": " + why;
        backoff = initial;
        LOG.log(System.Logger.Level.WARNING, "backend degraded: {0}; reconnecting", reason);
        schedule(Duration.ZERO);
        // Last: whoever reads it unlocked and sees degraded can rely on the attempt being scheduled.
        current = null;
    }

    /** Why it cannot serve, with the next attempt's time; empty when connected. */
    synchronized Optional<String> degraded() {
        if (current != null) {
            return Optional.empty();
        }
        return Optional.of(reason + (nextAttempt == null ? "" : "; next attempt at " + nextAttempt));
    }

    /** When a caller should try again: the time to the next attempt, or the initial backoff. */
    Duration retryAfter() {
        Instant next = nextAttempt;
        if (next == null) {
            return initial;
        }
        Duration left = Duration.between(clock.instant(), next);
        return left.isNegative() || left.isZero() ? initial : left;
    }

    /** Stops reconnecting and releases every connection; callers get UNAVAILABLE afterwards. */
    void close() {
        C c;
        C f;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = current;
            f = failed;
            current = null;
            failed = null;
            reason = name + " is closed";
            nextAttempt = null;
        }
        scheduler.close();
        connector.release(c);
        connector.release(f);
    }

    private void schedule(Duration delay) {
        if (closed || attempting) {
            return;
        }
        attempting = true;
        nextAttempt = clock.instant().plus(delay);
        scheduler.schedule(this::attempt, delay);
    }

    private void attempt() {
        C failedOne;
        synchronized (this) {
            if (closed) {
                return;
            }
            failedOne = failed;
        }
        C c;
        try {
            c = connector.reconnect(failedOne);
        } catch (Exception e) {
            synchronized (this) {
                attempting = false;
                reason = name + ": reconnecting failed: " + connector.describe(e);
                if (connector.permanent(e)) {
                    nextAttempt = null;
                    LOG.log(System.Logger.Level.ERROR, "backend stays degraded until an operator acts: {0}", reason);
                    return;
                }
                Duration wait = backoff;
                backoff = backoff.multipliedBy(2).compareTo(max) > 0 ? max : backoff.multipliedBy(2);
                LOG.log(System.Logger.Level.WARNING, "backend still degraded: {0}; retrying in {1}", reason, wait);
                schedule(wait);
            }
            return;
        }
        synchronized (this) {
            attempting = false;
            if (!closed) {
                current = c;
                failed = null;
                reason = null;
                nextAttempt = null;
                backoff = initial;
                LOG.log(System.Logger.Level.INFO, "backend recovered: {0}", name);
                return;
            }
        }
        connector.release(c);
    }
}
