package dev.signet.issuance;

import dev.signet.audit.AuditTrail;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One token bucket per minter with a {@link RateLimit} (minters without one are not limited), on this replica's
 * clock. Buckets start full.
 *
 * <p>A refusal is the minter's own doing and may come thousands of times a second from a looping front end, so
 * none is recorded or logged one by one: each is counted ({@link AuditTrail#countRateLimited}: the metric and an
 * aggregated audit record), and the operator log gets at most one summary line per minter per
 * {@link #SUMMARY_EVERY}.
 */
public final class MinterQuotas {

    static final Duration SUMMARY_EVERY = Duration.ofMinutes(1);
    private static final System.Logger LOG = System.getLogger(MinterQuotas.class.getName());

    private final Clock clock;
    private final AuditTrail audit;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** @param audit where refusals are counted */
    public MinterQuotas(Clock clock, AuditTrail audit) {
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * Takes {@code n} tokens of the minter's bucket, or none.
     *
     * @throws SignetException RATE_LIMITED with Retry-After (whole seconds until enough tokens, at least 1)
     *                         when the bucket holds fewer than n; INVALID_ARGUMENT when n is above the burst, which
     *                         no wait would satisfy
     */
    public void take(Minter minter, int n) {
        check(minter, n, true);
    }

    /**
     * Refuses, without taking anything, when the bucket holds less than one token: lets a request be refused
     * before its body is read, when how many it will take is not known yet.
     *
     * @throws SignetException RATE_LIMITED with Retry-After, as {@link #take}
     */
    public void requireOne(Minter minter) {
        check(minter, 1, false);
    }

    private void check(Minter minter, int n, boolean take) {
        RateLimit limit = minter.policy().rateLimit().orElse(null);
        if (limit == null) {
            return;
        }
        if (n > limit.burst()) {
            throw new SignetException(Code.INVALID_ARGUMENT, n + " tokens at once is above this minter's burst of "
                    + (long) limit.burst() + "; send smaller batches");
        }
        Bucket bucket = buckets.get(minter.name());
        if (bucket == null || !bucket.limit.equals(limit)) {
            bucket = buckets.compute(minter.name(),
                    (name, b) -> b == null || !b.limit.equals(limit) ? new Bucket(limit, clock.instant()) : b);
        }
        Instant now = clock.instant();
        long wait = bucket.take(n, now, take);
        if (wait > 0) {
            audit.countRateLimited(minter.name());
            long refused = bucket.summaryDue(now);
            if (refused > 0) {
                LOG.log(System.Logger.Level.INFO, "minter " + minter.name() + " is over its rate of " + limit.rate()
                        + " tokens per second (burst " + (long) limit.burst() + "): " + refused
                        + " requests refused since the last such line (at most one a minute per minter)");
            }
            throw new SignetException(Code.RATE_LIMITED, "this minter is over its rate of " + limit.rate()
                    + " tokens per second; retry in " + wait + "s", Duration.ofSeconds(wait), null);
        }
    }

    private static final class Bucket {
        final RateLimit limit;
        private double tokens;
        private Instant last;
        private long refused;
        private Instant summarised;

        Bucket(RateLimit limit, Instant now) {
            this.limit = limit;
            this.tokens = limit.burst();
            this.last = now;
        }

        /** @return 0 when n tokens are there (taken when {@code take}), else whole seconds until they are */
        synchronized long take(int n, Instant now, boolean take) {
            if (now.isAfter(last)) {
                double elapsed = Duration.between(last, now).toNanos() / 1e9;
                tokens = Math.min(limit.burst(), tokens + elapsed * limit.rate());
                last = now;
            }
            if (tokens >= n) {
                if (take) {
                    tokens -= n;
                }
                return 0;
            }
            refused++;
            return Math.max(1, (long) Math.ceil((n - tokens) / limit.rate()));
        }

        /** Refusals to report now (and forget), or 0 when the last summary is less than SUMMARY_EVERY old. */
        synchronized long summaryDue(Instant now) {
            if (summarised != null && now.isBefore(summarised.plus(SUMMARY_EVERY))) {
                return 0;
            }
            summarised = now;
            long n = refused;
            refused = 0;
            return n;
        }
    }
}
