package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RestartTest {

    @TempDir
    Path dir;

    private MasterKeyRing startProcess(MutableClock clock) {
        return MasterKeyRing.start(Fixtures.backend(dir, clock), dir.resolve("issuer"), Fixtures.DAILY, clock);
    }

    @Test
    void aRestartKeepsTheActiveKeyAndDoesNotRotate() {
        MutableClock clock = new MutableClock(Fixtures.START);
        MasterKeyRing first = startProcess(clock);
        String active = first.signingSlot().key().id();
        clock.advance(Duration.ofHours(5));
        first.tick();
        KeySet journal = first.keySet();

        for (int restart = 0; restart < 3; restart++) {
            clock.advance(Duration.ofMinutes(1));
            MasterKeyRing again = startProcess(clock);
            assertEquals(active, again.signingSlot().key().id());
            assertEquals(journal, again.keySet(), "restart wrote nothing");
            assertEquals(1, Fixtures.backend(dir, clock).list().size(), "restart generated nothing");
        }
    }

    @Test
    void aRestartInsideTheLeadKeepsThePreparedKeyAndItsSchedule() {
        MutableClock clock = new MutableClock(Fixtures.START);
        MasterKeyRing first = startProcess(clock);
        first.rotate();
        KeyRecord prepared = first.keySet().prepared().orElseThrow();

        clock.advance(Duration.ofMinutes(30));
        MasterKeyRing again = startProcess(clock);
        assertEquals(prepared, again.keySet().prepared().orElseThrow());
        assertEquals(first.signingSlot().key().id(), again.signingSlot().key().id(), "not activated early");
        clock.set(prepared.activates());
        again.tick();
        assertEquals(prepared.kid(), again.signingSlot().key().id());
    }

    @Test
    void aJournaledKeyTheBackendLostNeverSigns() {
        MutableClock clock = new MutableClock(Fixtures.START);
        String lost = startProcess(clock).signingSlot().key().id();
        Fixtures.backend(dir, clock).destroy(lost);

        clock.advance(Duration.ofMinutes(1));
        MasterKeyRing again = startProcess(clock);
        assertRevokedAsLost(again, lost);
        assertFalse(again.published().stream().anyMatch(k -> k.id().equals(lost)));
        SignetException e = assertThrows(SignetException.class, again::signingSlot);
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertEquals(Fixtures.DAILY.prepublishLead(), e.retryAfter().orElseThrow(), "until the new key's lead passes");

        KeyRecord next = again.keySet().prepared().orElseThrow();
        clock.advance(Fixtures.DAILY.prepublishLead());
        again.tick();
        assertEquals(next.kid(), again.signingSlot().key().id());
        assertEquals(null, again.keySet().active().orElseThrow().forcedBecause(), "waited, not forced");
    }

    /** Revoked at start-up, then (the backend having nothing to delete) recorded DESTROYED at once. */
    private static void assertRevokedAsLost(MasterKeyRing ring, String kid) {
        KeyRecord k = ring.keySet().find(kid).orElseThrow();
        assertEquals(KeyState.DESTROYED, k.state());
        assertEquals(Lifecycle.LOST, k.revokedBecause());
    }

    @Test
    void backendKeysMissingFromTheJournalAreIgnored() {
        MutableClock clock = new MutableClock(Fixtures.START);
        String active = startProcess(clock).signingSlot().key().id();
        KeyBackend backend = Fixtures.backend(dir, clock);
        String stray = backend.generate(Fixtures.DAILY.algorithm()).id();

        MasterKeyRing again = startProcess(clock);
        assertEquals(active, again.signingSlot().key().id());
        assertTrue(again.keySet().find(stray).isEmpty());
        assertFalse(again.published().stream().anyMatch(k -> k.id().equals(stray)));
        assertEquals(2, Fixtures.backend(dir, clock).list().size(), "not destroyed either: it may be someone's");
    }

    @Test
    void aReplicaThatCannotReReadTheJournalStopsSigningAfterTheMaxAge() {
        MutableClock clock = new MutableClock(Fixtures.START);
        MasterKeyRing ring = startProcess(clock);
        clock.advance(Fixtures.DAILY.jwksMaxAge());
        ring.signingSlot();
        clock.advance(Duration.ofSeconds(1));
        assertEquals(SignetException.Code.UNAVAILABLE, assertThrows(SignetException.class, ring::signingSlot).code());
        ring.tick();
        ring.signingSlot();
    }
}
