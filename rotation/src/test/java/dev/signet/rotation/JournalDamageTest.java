package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A lost or damaged journal never silently starts a new issuer (every outstanding token would stop verifying). */
class JournalDamageTest {

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Fixtures.START);

    Path issuerDir() {
        return dir.resolve("issuer");
    }

    Path journal() {
        return issuerDir().resolve(FileLifecycleStore.JOURNAL);
    }

    MasterKeyRing start() {
        return MasterKeyRing.start(Fixtures.backend(dir, clock), issuerDir(), Fixtures.DAILY, clock);
    }

    /** An issuer a day and a rotation old: three keys journaled. */
    String startedIssuer() {
        MasterKeyRing ring = start();
        String first = ring.signingSlot().key().id();
        ring.prepare();
        clock.advance(Duration.ofHours(2));
        ring.tick();
        assertEquals(2, ring.keySet().keys().size());
        return first;
    }

    static SignetException refused(Runnable start) {
        return assertThrows(SignetException.class, start::run);
    }

    @Test
    void aDeletedJournalIsRefusedUntilTheOperatorInitialisesANewIssuer() throws IOException {
        String first = startedIssuer();
        Files.delete(journal());

        SignetException e = refused(this::start);
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("--init-issuer"), e.getMessage());
        assertTrue(e.getMessage().contains("RUNBOOK"), e.getMessage());
        assertTrue(Files.notExists(journal()), "nothing was written");

        MasterKeyRing fresh = MasterKeyRing.start(Fixtures.backend(dir, clock), new FileLifecycleStore(issuerDir()),
                Fixtures.DAILY, clock, true);
        assertNotEquals(first, fresh.signingSlot().key().id(), "the operator's explicit new issuer");
    }

    @Test
    void aJournalCutAtALineBoundaryIsDamageNotASmallerJournal() throws IOException {
        startedIssuer();
        List<String> lines = Files.readAllLines(journal());
        Files.write(journal(), lines.subList(0, 2)); // head -2: header and version, no keys
        SignetException e = refused(this::start);
        assertEquals(SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("cut short"), e.getMessage());

        Files.write(journal(), lines.subList(0, lines.size() - 1)); // every key, but no end line
        assertEquals(SignetException.Code.INTERNAL, refused(this::start).code());
    }

    @Test
    void aJournalMissingOneKeyLineFailsItsChecksum() throws IOException {
        startedIssuer();
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(journal()));
        lines.remove(2); // the first key
        Files.write(journal(), lines);
        SignetException e = refused(this::start);
        assertEquals(SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(e.getMessage().contains("restore"), e.getMessage());
    }

    @Test
    void theIssuerMarkerAloneShowsTheIssuerExisted() throws IOException {
        startedIssuer();
        Files.delete(journal());
        Files.delete(dir.resolve("keys.p12")); // the backend lost everything too
        assertTrue(Files.exists(issuerDir().resolve(FileLifecycleStore.MARKER)));
        SignetException e = refused(this::start);
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("marker"), e.getMessage());
    }

    @Test
    void keysOfTheIssuerInTheBackendShowItExistedEvenWithoutItsDirectory() throws IOException {
        startedIssuer();
        try (var files = Files.list(issuerDir())) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(issuerDir());
        SignetException e = refused(this::start);
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("backend holds 2 key(s)"), e.getMessage());
    }

    /** Found by the chaos soak: a first start that lost its lease after generating its key could never start again. */
    @Test
    void aFirstStartThatDiedBeforeItsFirstJournalWriteStartsAgainAndDestroysItsKey() {
        FaultInjector faults = new FaultInjector();
        faults.crashAt(3); // the intent is recorded, the key generated; the process dies before the journal write
        assertThrows(FaultInjector.Crash.class, () -> MasterKeyRing.start(faults.wrap(Fixtures.backend(dir, clock)),
                faults.wrap(new FileLifecycleStore(issuerDir())), Fixtures.DAILY, clock));
        assertEquals("after generate", faults.trace.getLast());
        assertEquals(1, Fixtures.backend(dir, clock).list().size(), "the orphan is in the backend");
        assertTrue(Files.notExists(journal()));

        MasterKeyRing ring = start();
        String kid = ring.signingSlot().key().id();
        assertEquals(java.util.List.of(kid), Fixtures.backend(dir, clock).list().stream()
                .map(dev.signet.spi.SigningKey::id).toList(), "the orphan destroyed, one journaled key");

        // A key of the issuer that no intent accounts for is still evidence.
        try (var files = Files.list(issuerDir())) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(SignetException.Code.FAILED_PRECONDITION, refused(this::start).code());
    }

    @Test
    void anEmptyDataDirJustStarts() {
        MasterKeyRing ring = start();
        assertEquals(Lifecycle.BOOTSTRAP, ring.keySet().active().orElseThrow().forcedBecause());
        assertTrue(Files.exists(issuerDir().resolve(FileLifecycleStore.MARKER)));
        assertEquals(ring.keySet(), start().keySet(), "and restarts on its own journal");
    }

    Path intentsFile() {
        return issuerDir().resolve(FileLifecycleStore.INTENTS);
    }

    @Test
    void anIntentsFileCutAtALineBoundaryIsDamageNotFewerIntents() throws IOException {
        FileLifecycleStore store = new FileLifecycleStore(issuerDir());
        KeyIntent g = KeyIntent.generate(Fixtures.START, 1, java.util.Set.of("k1"));
        KeyIntent d = KeyIntent.destroy(Fixtures.START, 2, "k0");
        store.recordIntent(g);
        store.recordIntent(d);
        assertEquals(List.of(g, d), new FileLifecycleStore(issuerDir()).intents());
        List<String> lines = Files.readAllLines(intentsFile());
        assertEquals(4, lines.size(), "header, two intents, end line");

        for (int keep = 0; keep < lines.size(); keep++) { // head -N, every N: cut short at a line boundary
            Files.write(intentsFile(), lines.subList(0, keep));
            // An empty file is what the previous release wrote for none: only an open store refuses it (below).
            SignetException e = assertThrows(SignetException.class,
                    keep == 0 ? store::intents : () -> new FileLifecycleStore(issuerDir()).intents(),
                    "cut to " + keep + " lines");
            assertEquals(SignetException.Code.INTERNAL, e.code());
            assertTrue(e.getMessage().contains(intentsFile().toString()) && e.getMessage().contains("RUNBOOK"),
                    e.getMessage());
        }
        // Edited: an intent dropped with the end line's count fixed up, or a number spelled otherwise.
        Files.write(intentsFile(), List.of(lines.get(0), lines.get(1), lines.get(3).replace("\t2\t", "\t1\t")));
        assertThrows(SignetException.class, store::intents);
        Files.write(intentsFile(), List.of(lines.get(0), lines.get(1), lines.get(2), lines.get(3).replace("\t2\t", "\t02\t")));
        assertThrows(SignetException.class, store::intents);

        Files.write(intentsFile(), lines);
        assertEquals(List.of(g, d), store.intents(), "the whole file reads back");
        store.clearIntent(g.id());
        store.clearIntent(d.id());
        assertEquals(List.of(), store.intents());
        assertEquals(List.of(KeyIntent.FILE_HEADER, "end\t0\t" + sha256(KeyIntent.FILE_HEADER + "\n")),
                Files.readAllLines(intentsFile()), "none outstanding is framed too, not an empty file");
    }

    @Test
    void anIntentsFileFromBeforeTheEndLineIsFramedOnceWhenTheStoreOpens() throws IOException {
        KeyIntent g = KeyIntent.generate(Fixtures.START, 1, java.util.Set.of("k1", "k2"));
        KeyIntent d = KeyIntent.destroy(Fixtures.START, 2, "k0");
        Files.createDirectories(issuerDir());
        Files.writeString(intentsFile(), g.encode() + "\n" + d.encode() + "\n"); // as the previous release wrote it

        assertEquals(List.of(g, d), new FileLifecycleStore(issuerDir()).intents());
        assertEquals(KeyIntent.encodeAll(List.of(g, d)), Files.readString(intentsFile()), "rewritten framed");

        // Once open, an unframed file is damage: it can no longer be told from a framed one cut short.
        FileLifecycleStore open = new FileLifecycleStore(dir.resolve("other"));
        Files.writeString(dir.resolve("other").resolve(FileLifecycleStore.INTENTS), g.encode() + "\n");
        assertEquals(SignetException.Code.INTERNAL, assertThrows(SignetException.class, open::intents).code());

        // The previous release's empty file (all cleared) means none; a last line cut short is refused at migration.
        Files.writeString(intentsFile(), "");
        assertEquals(List.of(), new FileLifecycleStore(issuerDir()).intents());
        Files.writeString(intentsFile(), g.encode() + "\n" + d.encode().substring(0, 10));
        assertEquals(SignetException.Code.INTERNAL,
                assertThrows(SignetException.class, () -> new FileLifecycleStore(issuerDir())).code());
    }

    private static String sha256(String s) {
        return KeySetCodec.sha256(s);
    }
}
