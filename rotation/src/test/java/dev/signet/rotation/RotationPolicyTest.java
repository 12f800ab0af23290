package dev.signet.rotation;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RotationPolicyTest {

    @Test
    void defaultsDeriveMaxAgeRetentionAndCheckInterval() {
        RotationPolicy p = RotationPolicy.defaults();
        assertEquals(Duration.ofDays(7), p.rotationPeriod());
        assertEquals(Duration.ofHours(1), p.prepublishLead());
        assertEquals(Duration.ofMinutes(30), p.jwksMaxAge());
        assertEquals(Duration.ofHours(1).plusMinutes(5).plusMinutes(30), p.retention());
        assertEquals(Duration.ofSeconds(30), p.checkInterval());
    }

    @Test
    void leadShorterThanTheSlowestConsumerRefreshIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> RotationPolicy.builder().prepublishLead(Duration.ofMinutes(14)).build());
    }

    @Test
    void maxAgeOverHalfTheLeadIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RotationPolicy.builder()
                .prepublishLead(Duration.ofHours(1)).jwksMaxAge(Duration.ofMinutes(31)).build());
    }

    @Test
    void leadMustCoverAStaleReplicaAndJwx() {
        // M = 10 min is under L/2 but 10 + 15 > 20.
        assertThrows(IllegalArgumentException.class, () -> RotationPolicy.builder()
                .prepublishLead(Duration.ofMinutes(20)).jwksMaxAge(Duration.ofMinutes(10)).build());
        RotationPolicy ok = RotationPolicy.builder().prepublishLead(Duration.ofMinutes(20))
                .jwksMaxAge(Duration.ofMinutes(5)).build();
        assertEquals(Duration.ofSeconds(30), ok.checkInterval());
    }

    @Test
    void retentionShorterThanTtlSkewAndMaxAgeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RotationPolicy.builder()
                .retention(Duration.ofHours(1).plusMinutes(34)).build());
    }

    @Test
    void periodShorterThanTwoLeadsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RotationPolicy.builder()
                .rotationPeriod(Duration.ofMinutes(119)).build());
    }

    @Test
    void durationsAreMultipliedAndDividedAsTheJdkDoes() {
        for (Duration d : new Duration[]{Duration.ofHours(1), Duration.ofSeconds(7, 3), Duration.ofNanos(5),
                Duration.ofSeconds(-3), Duration.ofSeconds(-1, 500_000_001), Duration.ofDays(3650).plusNanos(999_999_999),
                Duration.ofSeconds(Long.MAX_VALUE / 2, 999_999_999), Duration.ZERO}) {
            for (int n : new int[]{1, 2, 3, 4, 7}) {
                assertEquals(d.dividedBy(n), RotationPolicy.dividedBy(d, n), d + " / " + n);
                if (d.abs().getSeconds() < Long.MAX_VALUE / 8) {
                    assertEquals(d.multipliedBy(n), RotationPolicy.times(d, n), d + " * " + n);
                }
            }
        }
        assertThrows(ArithmeticException.class, () -> RotationPolicy.times(Duration.ofSeconds(Long.MAX_VALUE / 2 + 1), 2));
    }
}
