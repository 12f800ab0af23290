package dev.signet.issuance;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One token bucket per minter with a {@link RateLimit} (minters without one are not limited), on this replica's
 * clock. Buckets start full.
 */
public final class MinterQuotas {

    private final Clock clock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public MinterQuotas(Clock clock) {
        this.clock = clock;
    }

    /**
     * Takes {@code n} tokens of the minter's bucket, or none.
     *
     * @throws SignetException RESOURCE_EXHAUSTED with Retry-After (whole seconds until enough tokens, at least 1)
     *                         when the bucket holds fewer than n; INVALID_ARGUMENT when n is above the burst, which
     *                         no wait would satisfy
     */
    public void take(Minter minter, int n) {
        RateLimit limit = minter.policy().rateLimit().orElse(null);
        if (limit == null) {
            return;
        }
        if (n > limit.burst()) {
            throw new SignetException(Code.INVALID_ARGUMENT, n + " tokens at once is above this minter's burst of "
                    + (long) limit.burst() + "; send smaller batches");
        }
        Bucket bucket = buckets.compute(minter.name(),
                (name, b) -> b == null || !b.limit.equals(limit) ? new Bucket(limit, clock.instant()) : b);
        bucket.take(n, clock.instant());
    }

    private static final class Bucket {
        final RateLimit limit;
        private double tokens;
        private Instant last;

        Bucket(RateLimit limit, Instant now) {
            this.limit = limit;
            this.tokens = limit.burst();
            this.last = now;
        }

        synchronized void take(int n, Instant now) {
            if (now.isAfter(last)) {
                double elapsed = Duration.between(last, now).toNanos() / 1e9;
                tokens = Math.min(limit.burst(), tokens + elapsed * limit.rate());
                last = now;
            }
            if (tokens >= n) {
                tokens -= n;
                return;
            }
            long wait = Math.max(1, (long) Math.ceil((n - tokens) / limit.rate()));
            throw new SignetException(Code.RESOURCE_EXHAUSTED, "this minter is over its rate of " + limit.rate()
                    + " tokens per second; retry in " + wait + "s", Duration.ofSeconds(wait), null);
        }
    }
}
