package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.time.Duration;
import java.util.Objects;

/**
 * When keys of one issuer are prepared, activated, retired and unpublished. See {@code rotation/README.md}
 * for the timeline and why each bound holds.
 *
 * @param algorithm      the algorithm of new keys
 * @param rotationPeriod how long a key is ACTIVE (P)
 * @param prepublishLead how long a key is published before it signs (L)
 * @param maxTokenTtl    the longest token lifetime the issuer grants (T)
 * @param clockSkew      the leeway verifiers allow on {@code exp} (S)
 * @param jwksMaxAge     the JWKS {@code Cache-Control: max-age} (M)
 * @param retention      how long a retired key stays published (R)
 * @param checkInterval  how often each replica re-reads the journal and applies due transitions (C)
 * @param destroyGrace   how long a revoked key is kept in the backend (unpublished, never signing) before it
 *                       is destroyed, so a mistaken revocation can be investigated with the key intact; zero
 *                       destroys at once (on KMS, whose ScheduleKeyDeletion has its own 7–30 day window)
 * @param maxPublished   the most keys the JWKS may hold for a forced activation to be allowed; scheduled
 *                       rotation and revocation are never refused
 */
public record RotationPolicy(SigningAlgorithm algorithm, Duration rotationPeriod, Duration prepublishLead,
                             Duration maxTokenTtl, Duration clockSkew, Duration jwksMaxAge, Duration retention,
                             Duration checkInterval, Duration destroyGrace, int maxPublished) {

    /** Go's lestrrat-go/jwx never refreshes a JWKS sooner than this, whatever max-age says. */
    public static final Duration SLOWEST_CONSUMER_REFRESH = Duration.ofMinutes(15);
    /** The least prepublish lead accepted: the slowest consumer must refresh at least once before a key signs. */
    public static final Duration MIN_PREPUBLISH_LEAD = SLOWEST_CONSUMER_REFRESH;
    /** Time to investigate a revocation with the key intact. */
    public static final Duration DEFAULT_DESTROY_GRACE = Duration.ofDays(7);
    /** Room for a few forced activations above scheduled rotation's keys. */
    public static final int DEFAULT_MAX_PUBLISHED = 6;

    /**
     * @throws IllegalArgumentException if a value is missing or not positive (skew may be zero), or:
     *     L &lt; 15 min; M &gt; L/2; L &lt; M + 15 min (a replica view stale by M plus the slowest consumer's
     *     refresh must fit in the lead); R &lt; T + S + M; P &lt; 2L; C &gt; M/4; a negative destroy grace; a
     *     max published below what scheduled rotation publishes (2 + ⌈R/P⌉ + 1)
     */
    public RotationPolicy {
        Objects.requireNonNull(algorithm, "algorithm");
        positive(rotationPeriod, "rotationPeriod");
        positive(prepublishLead, "prepublishLead");
        positive(maxTokenTtl, "maxTokenTtl");
        Objects.requireNonNull(clockSkew, "clockSkew");
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative");
        }
        positive(jwksMaxAge, "jwksMaxAge");
        positive(retention, "retention");
        positive(checkInterval, "checkInterval");
        if (prepublishLead.compareTo(MIN_PREPUBLISH_LEAD) < 0) {
            throw new IllegalArgumentException("prepublishLead " + prepublishLead + " is shorter than "
                    + MIN_PREPUBLISH_LEAD + ", the refresh interval of the slowest JWKS consumer (Go jwx)");
        }
        if (times(jwksMaxAge, 2).compareTo(prepublishLead) > 0) {
            throw new IllegalArgumentException("jwksMaxAge " + jwksMaxAge + " exceeds half the prepublishLead "
                    + prepublishLead + ": caches would not refresh between publication and activation");
        }
        if (jwksMaxAge.plus(SLOWEST_CONSUMER_REFRESH).compareTo(prepublishLead) > 0) {
            throw new IllegalArgumentException("prepublishLead " + prepublishLead + " must be at least jwksMaxAge + "
                    + SLOWEST_CONSUMER_REFRESH + " (a replica view up to jwksMaxAge old, then the slowest refresh)");
        }
        if (retention.compareTo(maxTokenTtl.plus(clockSkew).plus(jwksMaxAge)) < 0) {
            throw new IllegalArgumentException("retention " + retention + " is shorter than maxTokenTtl + clockSkew"
                    + " + jwksMaxAge = " + maxTokenTtl.plus(clockSkew).plus(jwksMaxAge));
        }
        if (rotationPeriod.compareTo(times(prepublishLead, 2)) < 0) {
            throw new IllegalArgumentException("rotationPeriod " + rotationPeriod + " is shorter than twice the"
                    + " prepublishLead " + prepublishLead);
        }
        Objects.requireNonNull(destroyGrace, "destroyGrace");
        if (destroyGrace.isNegative()) {
            throw new IllegalArgumentException("destroyGrace must not be negative");
        }
        long scheduled = scheduledMaxPublished(rotationPeriod, retention);
        if (maxPublished < scheduled) {
            throw new IllegalArgumentException("maxPublished " + maxPublished + " is below the " + scheduled
                    + " keys scheduled rotation publishes at once with this period and retention");
        }
        if (times(checkInterval, 4).compareTo(jwksMaxAge) > 0) {
            throw new IllegalArgumentException("checkInterval " + checkInterval + " exceeds a quarter of jwksMaxAge "
                    + jwksMaxAge + ": a replica missing a few reads would stop signing");
        }
    }

    /** Published at once by scheduled rotation: ACTIVE, PREPARED and the RETIRED keys of the last R. */
    static long scheduledMaxPublished(Duration period, Duration retention) {
        long p = Math.max(1, period.toMillis()); // a sub-millisecond period is refused by the constructor
        return 2 + (retention.toMillis() + p - 1) / p + 1;
    }

    /** The times this policy gives each transition. */
    public Schedule schedule() {
        return new Schedule(this);
    }

    /** ES256, weekly rotation, 1 h lead, 1 h tokens, 5 min skew, and the derived rest. */
    public static RotationPolicy defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fills what is not set: M = L/2, R = T + S + M, C = min(30 s, M/4), destroy grace 7 days, max published
     * 6 (or two above what scheduled rotation publishes, if that is more).
     */
    public static final class Builder {
        private SigningAlgorithm algorithm = SigningAlgorithm.ES256;
        private Duration rotationPeriod = Duration.ofDays(7);
        private Duration prepublishLead = Duration.ofHours(1);
        private Duration maxTokenTtl = Duration.ofHours(1);
        private Duration clockSkew = Duration.ofMinutes(5);
        private Duration jwksMaxAge;
        private Duration retention;
        private Duration checkInterval;
        private Duration destroyGrace = DEFAULT_DESTROY_GRACE;
        private Integer maxPublished;

        private Builder() {
        }

        public Builder algorithm(SigningAlgorithm v) {
            algorithm = v;
            return this;
        }

        public Builder rotationPeriod(Duration v) {
            rotationPeriod = v;
            return this;
        }

        public Builder prepublishLead(Duration v) {
            prepublishLead = v;
            return this;
        }

        public Builder maxTokenTtl(Duration v) {
            maxTokenTtl = v;
            return this;
        }

        public Builder clockSkew(Duration v) {
            clockSkew = v;
            return this;
        }

        public Builder jwksMaxAge(Duration v) {
            jwksMaxAge = v;
            return this;
        }

        public Builder retention(Duration v) {
            retention = v;
            return this;
        }

        public Builder checkInterval(Duration v) {
            checkInterval = v;
            return this;
        }

        public Builder destroyGrace(Duration v) {
            destroyGrace = v;
            return this;
        }

        public Builder maxPublished(int v) {
            maxPublished = v;
            return this;
        }

        /** @throws IllegalArgumentException as {@link RotationPolicy#RotationPolicy} */
        public RotationPolicy build() {
            positive(rotationPeriod, "rotationPeriod"); // before it divides below
            Duration m = jwksMaxAge != null ? jwksMaxAge : dividedBy(prepublishLead, 2);
            Duration r = retention != null ? retention : maxTokenTtl.plus(clockSkew).plus(m);
            Duration c = checkInterval != null ? checkInterval
                    : min(Duration.ofSeconds(30), dividedBy(m, 4));
            int max = maxPublished != null ? maxPublished
                    : (int) Math.max(DEFAULT_MAX_PUBLISHED, scheduledMaxPublished(rotationPeriod, r) + 2);
            return new RotationPolicy(algorithm, rotationPeriod, prepublishLead, maxTokenTtl, clockSkew, m, r, c,
                    destroyGrace, max);
        }

        private static Duration min(Duration a, Duration b) {
            return a.compareTo(b) <= 0 ? a : b;
        }
    }

    // Duration's multipliedBy and dividedBy compute through BigDecimal, whose class initialisation alone cost a
    // daemon's start tens of milliseconds; these two are exact in long arithmetic.

    /** {@code d.multipliedBy(n)}. @throws ArithmeticException on overflow, as the JDK's */
    static Duration times(Duration d, int n) {
        return Duration.ofSeconds(Math.multiplyExact(d.getSeconds(), n), (long) d.getNano() * n);
    }

    /** {@code d.dividedBy(n)}, rounded toward zero as the JDK's. */
    static Duration dividedBy(Duration d, int n) {
        long seconds = d.getSeconds();
        return Duration.ofSeconds(seconds / n, ((seconds % n) * 1_000_000_000L + d.getNano()) / n);
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
