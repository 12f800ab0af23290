package dev.signet.rotation;

import dev.signet.spi.KeyBackend;
import dev.signet.software.SoftwareKeyBackend;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Shared settings: a daily rotation with the default lead, ttl and skew. */
final class Fixtures {

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    static final char[] PASSWORD = "test-password".toCharArray();

    static final RotationPolicy DAILY = RotationPolicy.builder().rotationPeriod(Duration.ofDays(1)).build();

    private Fixtures() {
    }

    /** Opens the keystore afresh, as a restarted process would. */
    static KeyBackend backend(Path dir, Clock clock) {
        return new SoftwareKeyBackend(dir.resolve("keys.p12"), PASSWORD, clock);
    }
}
