package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crashes at every mutation point of two full rotations (generate, journal PREPARED, activate and retire,
 * unpublish, destroy, journal DESTROYED, and each key intent), restarts over the same files, and audits the next days.
 */
class CrashRecoveryTest {

    private static final Duration TICK = Duration.ofMinutes(10);
    private static final Duration BEFORE_CRASH = Duration.ofDays(2).plusHours(3);
    private static final Duration AFTER_CRASH = Duration.ofDays(3);

    @TempDir
    Path root;

    @Test
    void aCrashAtAnyMutationPointLeavesAJournalThatRestartsSafely() throws IOException {
        int points = run(root.resolve("dry"), Integer.MAX_VALUE);
        assertTrue(points >= 16, "the scenario covers two rotations' worth of mutations, found " + points);
        for (int n = 1; n <= points; n++) {
            run(root.resolve("crash-" + n), n);
        }
    }

    /** @return how many mutation points the scenario passed */
    private int run(Path dir, int crashAt) throws IOException {
        Files.createDirectories(dir);
        MutableClock clock = new MutableClock(Fixtures.START);
        LifecycleAudit audit = new LifecycleAudit(Fixtures.DAILY);
        KeyBackend backend = Fixtures.backend(dir, clock);
        // Bootstrap without faults; a ring with faults over the same files then runs the scheduled ticks.
        MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock);
        FaultInjector faults = new FaultInjector();
        faults.crashAt(crashAt);
        MasterKeyRing ring = MasterKeyRing.start(faults.wrap(backend),
                faults.wrap(new FileLifecycleStore(dir.resolve("issuer"))), Fixtures.DAILY, clock);
        Instant crashDeadline = Fixtures.START.plus(BEFORE_CRASH);
        boolean crashed = false;
        while (clock.instant().isBefore(crashDeadline)) {
            clock.advance(TICK);
            try {
                ring.tick();
            } catch (FaultInjector.Crash crash) {
                crashed = true;
                break;
            }
            audit.observe(ring, backend, clock);
        }
        assertEquals(crashAt <= faults.points(), crashed, "crashed exactly when asked, trace " + faults.trace);
        if (!crashed) {
            return faults.points();
        }
        String where = faults.trace.getLast();

        // Restart: a new process opens the keystore and the journal afresh, without faults.
        KeyBackend reopened = Fixtures.backend(dir, clock);
        KeySet before = new FileLifecycleStore(dir.resolve("issuer")).load();
        MasterKeyRing restarted = MasterKeyRing.start(reopened, dir.resolve("issuer"), Fixtures.DAILY, clock);
        // A restart applies only what was due anyway: the ACTIVE key is the journal's, stepped to now.
        KeySet due = Lifecycle.step(clock.instant(), before, Fixtures.DAILY).next();
        assertEquals(due.active().map(KeyRecord::kid), restarted.keySet().active().map(KeyRecord::kid),
                "restart after a crash " + where + " signs with the journal's ACTIVE key");
        Instant end = clock.instant().plus(AFTER_CRASH);
        while (clock.instant().isBefore(end)) {
            audit.observe(restarted, reopened, clock);
            clock.advance(TICK);
            restarted.tick();
        }
        long orphans = reopened.list().stream().map(SigningKey::id)
                .filter(kid -> restarted.keySet().find(kid).isEmpty()).count();
        // The key generated but not journaled is found through its intent and destroyed at the restart.
        assertEquals(0, orphans, "no key outside the journal is left in the backend, crash " + where);
        assertTrue(new FileLifecycleStore(dir.resolve("issuer")).intents().stream()
                        .allMatch(i -> i.at().isAfter(clock.instant().minus(Reconcile.IN_FLIGHT))),
                "intents are settled, crash " + where);
        assertTrue(audit.activations >= 4, "rotation resumed after crash " + where);
        return faults.points();
    }

    @Test
    void aFailedJournalWriteKeepsThePriorStateServed(@TempDir Path dir) {
        MutableClock clock = new MutableClock(Fixtures.START);
        KeyBackend backend = Fixtures.backend(dir, clock);
        FaultInjector faults = new FaultInjector();
        MasterKeyRing ring = MasterKeyRing.start(faults.wrap(backend),
                faults.wrap(new FileLifecycleStore(dir.resolve("issuer"))), Fixtures.DAILY, clock);
        KeySet before = ring.keySet();
        faults.crashAt(faults.points() + 4); // intent, generate (before, after) pass; the journal write fails

        assertThrows(FaultInjector.Crash.class, ring::rotate);
        assertEquals(before, ring.keySet(), "nothing half-applied");
        assertEquals(1, ring.published().size());
        assertEquals(before, new FileLifecycleStore(dir.resolve("issuer")).load());
        assertEquals(2, backend.list().size(), "the generated key is an orphan, never journaled");
        assertEquals(1, new FileLifecycleStore(dir.resolve("issuer")).intents().size(), "its intent stays");

        MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock);
        assertEquals(before.keys().stream().map(KeyRecord::kid).toList(),
                backend.list().stream().map(dev.signet.spi.SigningKey::id).toList(),
                "the next holder of the lock destroyed the orphan its intent names");
        assertEquals(List.of(), new FileLifecycleStore(dir.resolve("issuer")).intents());
    }
}
