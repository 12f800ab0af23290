package dev.signet.issuance;

import dev.signet.audit.AuditTrail;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token bucket on an injected clock: time only moves when the test advances it. */
class MinterQuotasTest {

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    final List<String> counted = new java.util.concurrent.CopyOnWriteArrayList<>();
    final MinterQuotas quotas = new MinterQuotas(clock, new AuditTrail() {
        @Override
        public Receipt append(dev.signet.audit.AuditEvent event) {
            throw new AssertionError("no record per quota refusal: " + event);
        }

        @Override
        public void countRateLimited(String minter) {
            counted.add(minter);
        }
    });

    static Minter minter(String name, RateLimit limit) {
        return new Minter(name, CredentialHash.of(name + "-credential-0123456789"), new MinterPolicy(
                Set.of("https://a.example"), List.of("repo:a/*"), Set.of("read"), Duration.ofMinutes(5),
                MinterPolicy.Delegation.DEFAULT, limit));
    }

    @Test
    void theBurstIsServedThenRefusalsSayHowLongUntilEnoughTokens() {
        Minter m = minter("a", new RateLimit(0.5, 3));
        quotas.take(m, 2);
        quotas.take(m, 1);
        SignetException e = assertThrows(SignetException.class, () -> quotas.take(m, 1));
        assertEquals(Code.RATE_LIMITED, e.code());
        assertEquals(Duration.ofSeconds(2), e.retryAfter().orElseThrow(), "one token at 0.5/s is 2 s away");
        clock.advance(Duration.ofMillis(1999));
        assertEquals(Duration.ofSeconds(1), assertThrows(SignetException.class, () -> quotas.take(m, 1))
                .retryAfter().orElseThrow(), "1 ms away rounds up to at least 1 s");
        clock.advance(Duration.ofMillis(1));
        quotas.take(m, 1);
        assertThrows(SignetException.class, () -> quotas.take(m, 1));
    }

    @Test
    void aRefusedBatchTakesNothingAndWaitsForAllItsTokens() {
        Minter m = minter("a", new RateLimit(1, 4));
        quotas.take(m, 3);
        SignetException e = assertThrows(SignetException.class, () -> quotas.take(m, 3));
        assertEquals(Duration.ofSeconds(2), e.retryAfter().orElseThrow());
        quotas.take(m, 1); // the refused batch took none of the one left
        clock.advance(Duration.ofHours(1));
        quotas.take(m, 4); // refill stops at the burst
        assertThrows(SignetException.class, () -> quotas.take(m, 1));
    }

    @Test
    void aBatchLargerThanTheBurstIsInvalidNotRetryable() {
        SignetException e = assertThrows(SignetException.class, () -> quotas.take(minter("a", new RateLimit(10, 2)), 3));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertEquals(java.util.Optional.empty(), e.retryAfter());
    }

    @Test
    void mintersHaveTheirOwnBucketsAndNoLimitMeansUnlimited() {
        Minter a = minter("a", new RateLimit(0.001, 1));
        quotas.take(a, 1);
        assertThrows(SignetException.class, () -> quotas.take(a, 1));
        assertDoesNotThrow(() -> quotas.take(minter("b", new RateLimit(0.001, 1)), 1));
        Minter free = minter("c", null);
        for (int i = 0; i < 10_000; i++) {
            quotas.take(free, 1);
        }
    }

    @Test
    void refusalsAreCountedPerMinterNotRecordedAndRequireOneTakesNothing() {
        Minter a = minter("a", new RateLimit(1, 2));
        quotas.requireOne(a);
        quotas.requireOne(a);
        quotas.take(a, 2); // requireOne took nothing
        SignetException e = assertThrows(SignetException.class, () -> quotas.requireOne(a));
        assertEquals(Code.RATE_LIMITED, e.code());
        assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow());
        assertThrows(SignetException.class, () -> quotas.take(a, 1));
        assertDoesNotThrow(() -> quotas.take(minter("b", new RateLimit(1, 2)), 1));
        assertEquals(List.of("a", "a"), counted, "each refusal counted once, for its minter; grants are not");
        clock.advance(Duration.ofSeconds(1));
        quotas.requireOne(a);
        quotas.take(a, 1);
        assertEquals(2, counted.size());
    }

    @Test
    void aFloodingMinterGetsOneOperatorLogLineAMinute() {
        List<java.util.logging.LogRecord> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(MinterQuotas.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            Minter a = minter("a", new RateLimit(0.001, 1));
            quotas.take(a, 1);
            for (int i = 0; i < 1000; i++) {
                assertThrows(SignetException.class, () -> quotas.take(a, 1));
                clock.advance(Duration.ofMillis(50));
            }
            assertEquals(1, lines.size(), "1000 refusals in 50 s: one line");
            clock.advance(Duration.ofSeconds(10));
            assertThrows(SignetException.class, () -> quotas.take(a, 1));
            assertEquals(2, lines.size());
            assertTrue(lines.get(1).getMessage().contains(": 1000 requests refused"), lines.get(1).getMessage());
            assertEquals(1001, counted.size(), "every refusal is still counted");
        } finally {
            log.removeHandler(capture);
        }
    }

    @Test
    void rateAndBurstAreChecked() {
        assertEquals(Code.INVALID_ARGUMENT, assertThrows(SignetException.class, () -> new RateLimit(0, 1)).code());
        assertThrows(SignetException.class, () -> new RateLimit(-1, 1));
        assertThrows(SignetException.class, () -> new RateLimit(Double.NaN, 1));
        assertThrows(SignetException.class, () -> new RateLimit(1, 0.5));
        assertThrows(SignetException.class, () -> new RateLimit(1, Double.POSITIVE_INFINITY));
    }
}
