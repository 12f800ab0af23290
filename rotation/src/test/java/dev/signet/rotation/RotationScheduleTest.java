package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RotationScheduleTest {

    @TempDir
    Path dir;

    /** Three years of daily rotations, ticking at irregular 1–10 minute intervals, audited at every tick. */
    @Test
    void threeYearsOfDailyRotationsKeepEveryPromise() {
        MutableClock clock = new MutableClock(Fixtures.START);
        KeyBackend backend = Fixtures.backend(dir, clock);
        MasterKeyRing ring = MasterKeyRing.start(backend, new InMemoryLifecycleStore(), Fixtures.DAILY, clock);
        LifecycleAudit audit = new LifecycleAudit(Fixtures.DAILY);
        Random random = new Random(42);
        Instant end = Fixtures.START.plus(Duration.ofDays(3 * 365));

        audit.observe(ring, backend, clock);
        while (clock.instant().isBefore(end)) {
            clock.advance(Duration.ofSeconds(60 + random.nextInt(540)));
            ring.tick();
            audit.observe(ring, backend, clock);
        }

        // One activation a day after the bootstrap key: rotation really happened, on schedule.
        assertEquals(3 * 365 + 1, audit.activations);
        assertTrue(backend.list().size() <= 4, "keys in the backend: " + backend.list().size());
        assertTrue(ring.keySet().keys().size() <= 6, "journal size: " + ring.keySet().keys().size());
    }

    /** Keys are prepared two leads before the ACTIVE key's scheduled retirement, and activate exactly then. */
    @Test
    void successorIsPreparedTwoLeadsAheadAndActivatesAtRetirement() {
        MutableClock clock = new MutableClock(Fixtures.START);
        KeyBackend backend = Fixtures.backend(dir, clock);
        MasterKeyRing ring = MasterKeyRing.start(backend, new InMemoryLifecycleStore(), Fixtures.DAILY, clock);
        KeyRecord first = ring.keySet().active().orElseThrow();
        assertEquals(Lifecycle.BOOTSTRAP, first.forcedBecause());
        assertEquals(Fixtures.START.plus(Duration.ofDays(1)), first.retires());

        clock.set(first.retires().minus(Fixtures.DAILY.prepublishLead().multipliedBy(2)).minusSeconds(1));
        ring.tick();
        assertTrue(ring.keySet().prepared().isEmpty(), "not prepared before its time");

        clock.advance(Duration.ofSeconds(1));
        ring.tick();
        KeyRecord next = ring.keySet().prepared().orElseThrow();
        assertEquals(first.retires(), next.activates());
        assertEquals(2, ring.published().size());
        assertEquals(first.kid(), ring.signingSlot().key().id());

        clock.set(first.retires().minusSeconds(1));
        ring.tick();
        assertEquals(first.kid(), ring.signingSlot().key().id());
        clock.set(first.retires());
        ring.tick();
        assertEquals(next.kid(), ring.signingSlot().key().id());
        assertEquals(next.kid(), ring.keySet().active().orElseThrow().kid());
        assertEquals(null, ring.keySet().active().orElseThrow().forcedBecause());
        KeyRecord retired = ring.keySet().find(first.kid()).orElseThrow();
        assertEquals(KeyState.RETIRED, retired.state());
        assertEquals(first.retires().plus(Fixtures.DAILY.retention()), retired.unpublishes());
        // The slot promises publication until scheduled retirement + retention.
        assertEquals(clock.instant().plus(Duration.ofDays(1)).plus(Fixtures.DAILY.retention()),
                ring.signingSlot().publishedUntil());
    }
}
