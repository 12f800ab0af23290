package dev.signet.revocation;

import dev.signet.software.InMemorySigning;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusListsTest {

    static final SigningKey KEY = InMemorySigning.generate(SigningAlgorithm.ES256);
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T10:00:00Z"));
    int signatures;

    StatusLists open(Path d) {
        return new StatusLists("https://iss", "r1", d, StatusLists.Settings.defaults(Duration.ofHours(1)), clock,
                () -> {
                    signatures++;
                    return KEY;
                });
    }

    static String jti() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    StatusLists.Token token(String jti, String task, String parent) {
        return new StatusLists.Token(jti, clock.instant().plusSeconds(600), task, "sub", "m", parent);
    }

    /** An exchange of a child that passed its bit check just before a rule on the root reaches allocate after. */
    @Test
    void aGrandchildAllocatedJustAfterItsRootWasRevokedIsRefused() {
        StatusLists s = open(dir);
        String root = jti();
        String child = jti();
        s.allocate(token(root, "t", null));
        s.allocate(token(child, "t", root));
        assertEquals(2, s.revoke(StatusLists.Kind.JTI, root, null).covered());
        var refused = assertThrows(SignetException.class, () -> s.allocate(token(jti(), "t", child)));
        assertEquals(SignetException.Code.PERMISSION_DENIED, refused.code());
        s.allocate(token(jti(), "t", null)); // unrelated tokens go on
        clock.advance(Duration.ofSeconds(61));
        s.allocate(token(jti(), "t", jti())); // the window is bounded; exchanges check the bit themselves
    }

    @Test
    void revokingARootRevokesItsExchangedDescendantsTransitively() {
        StatusLists s = open(dir);
        String root = jti();
        String child = jti();
        String grandchild = jti();
        String other = jti();
        StatusRef r = s.allocate(token(root, "t", null));
        StatusRef c = s.allocate(token(child, "t", root));
        StatusRef g = s.allocate(token(grandchild, "t", child));
        StatusRef o = s.allocate(token(other, "t", null));
        assertEquals(3, s.revoke(StatusLists.Kind.JTI, root, null).covered());
        assertTrue(s.isRevoked(r.uri(), r.idx()) && s.isRevoked(c.uri(), c.idx()) && s.isRevoked(g.uri(), g.idx()));
        assertFalse(s.isRevoked(o.uri(), o.idx()));
        assertThrows(SignetException.class, () -> s.checkMinting("m", "sub", "t", root));
    }

    @Test
    void restartResumesAfterTheReservedBlockAndKeepsBitsAndRules() throws Exception {
        StatusLists s = open(dir);
        String a = jti();
        StatusRef ra = s.allocate(token(a, "t", null));
        s.revoke(StatusLists.Kind.TASK, "t", "done");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("revocations.jsonl"))));
        StatusLists again = open(dir);
        assertTrue(again.isRevoked(ra.uri(), ra.idx()));
        StatusRef next = again.allocate(token(jti(), "u", null));
        assertEquals(ra.list(), next.list());
        assertEquals(StatusLists.RESERVE, next.idx(), "the rest of the block handed out before the restart is skipped");
        assertThrows(SignetException.class, () -> again.checkMinting("m", "x", "t", null), "the task rule survives");
    }

    /** Wraps the journal: records each allocations reservation once durable; {@code hold} blocks one reservation. */
    static final class Journal implements StatusLists.JournalWriter {
        final StatusLists.JournalWriter files;
        final java.util.List<Integer> durable = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        volatile int hold = -1;
        volatile int fail = -1;

        Journal(StatusLists s) {
            files = s.journalWriter;
            s.journalWriter = this;
        }

        @Override
        public void append(String name, String line) {
            int reserved = name.equals("allocations")
                    ? Integer.parseInt(line.replaceAll(".*\"reserved\":(\\d+).*", "$1")) : -1;
            if (reserved == fail) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "disk full");
            }
            if (reserved == hold) {
                entered.countDown();
                try {
                    assertTrue(release.await(30, java.util.concurrent.TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            files.append(name, line);
            if (reserved >= 0) {
                durable.add(reserved);
            }
        }
    }

    static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (t.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline && t.isAlive(), "the allocation never waited: " + t.getState());
            Thread.sleep(1);
        }
    }

    @Test
    void theNextBlockIsJournaledOutsideTheLockAndNoIndexPassesWhatIsDurable() throws Exception {
        StatusLists s = open(dir);
        Journal journal = new Journal(s);
        int reserve = StatusLists.RESERVE;
        journal.hold = 2 * reserve;
        for (int i = 0; i < reserve - StatusLists.AHEAD; i++) {
            assertEquals(i, s.allocate(token(jti(), null, null)).idx());
        }
        assertEquals(java.util.List.of(reserve), journal.durable, "a new list's first block");
        java.util.concurrent.atomic.AtomicInteger first = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread extending = Thread.ofVirtual().start(() -> first.set(s.allocate(token(jti(), null, null)).idx()));
        assertTrue(journal.entered.await(30, java.util.concurrent.TimeUnit.SECONDS));
        for (int i = reserve - StatusLists.AHEAD + 1; i < reserve; i++) {
            assertEquals(i, s.allocate(token(jti(), null, null)).idx(), "minting goes on during the next block's fsync");
        }
        java.util.concurrent.atomic.AtomicInteger beyond = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread waiting = Thread.ofVirtual().start(() -> beyond.set(s.allocate(token(jti(), null, null)).idx()));
        awaitWaiting(waiting);
        assertEquals(-1, beyond.get(), "no index beyond the durable block while its successor is not durable");
        assertEquals(java.util.List.of(reserve), journal.durable);
        journal.release.countDown();
        waiting.join(30_000);
        extending.join(30_000);
        assertEquals(reserve, beyond.get());
        assertEquals(reserve - StatusLists.AHEAD, first.get(), "the extending caller's own index was durable already");
        assertEquals(java.util.List.of(reserve, 2 * reserve), journal.durable);
        assertEquals(2 * reserve, open(dir).allocate(token(jti(), null, null)).idx(), "a restart skips what was reserved");
    }

    @Test
    void aNewListsFirstBlockIsJournaledOutsideTheLockWhileOtherMintersWaitForIt() throws Exception {
        StatusLists s = open(dir);
        Journal journal = new Journal(s);
        journal.hold = StatusLists.RESERVE;
        java.util.concurrent.atomic.AtomicInteger opener = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread opening = Thread.ofVirtual().start(() -> opener.set(s.allocate(token(jti(), null, null)).idx()));
        assertTrue(journal.entered.await(30, java.util.concurrent.TimeUnit.SECONDS));
        // The lock is free during that fsync: what takes it (a read, a list's rules) does not wait for the disk.
        Thread reader = Thread.ofVirtual().start(() -> {
            s.isRevoked("https://issuer.example/none", 0);
            s.rules();
        });
        reader.join(30_000);
        assertFalse(reader.isAlive(), "a reader waited for the first block's fsync: it was journaled in the lock");
        java.util.concurrent.atomic.AtomicInteger other = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread waiting = Thread.ofVirtual().start(() -> other.set(s.allocate(token(jti(), null, null)).idx()));
        awaitWaiting(waiting);
        assertEquals(-1, other.get(), "no index of the new list before its first block is durable");
        assertEquals(java.util.List.of(), journal.durable);
        journal.release.countDown();
        opening.join(30_000);
        waiting.join(30_000);
        assertEquals(java.util.Set.of(0, 1), java.util.Set.of(opener.get(), other.get()));
        assertEquals(java.util.List.of(StatusLists.RESERVE), journal.durable);
    }

    @Test
    void factsGrowByChunksWithoutCopyingAndRulesFindTokensInEveryChunk() {
        StatusLists.Facts f = new StatusLists.Facts(4 * StatusLists.Facts.CHUNK);
        f.add(0, 7, 0, 1, 2, 3, 100);
        long[] firstChunk = f.jti[0];
        f.add(StatusLists.Facts.CHUNK + 5, 8, 7, 1, 2, 3, 100);
        assertSame(firstChunk, f.jti[0], "the facts already there are not copied");
        assertEquals(7, f.jti(0));
        assertEquals(8, f.jti(StatusLists.Facts.CHUNK + 5));
        assertEquals(null, f.jti[2], "no chunk ahead of the indices handed out");

        StatusLists s = open(null);
        java.util.List<StatusRef> tasked = new java.util.ArrayList<>();
        for (int i = 0; i < StatusLists.Facts.CHUNK + 10; i++) {
            StatusRef r = s.allocate(token(jti(), i % 1000 == 100 ? "spread" : "other", null));
            if (i % 1000 == 100) {
                tasked.add(r);
            }
        }
        assertEquals(tasked.size(), s.revoke(StatusLists.Kind.TASK, "spread", null).covered());
        assertTrue(tasked.getLast().idx() >= StatusLists.Facts.CHUNK, "one in the second chunk");
        for (StatusRef r : tasked) {
            assertTrue(s.isRevoked(r.uri(), r.idx()), "index " + r.idx());
        }
    }

    @Test
    void aFailedBlockAheadIsRetriedWhenNeededAndRefusesOnlyThen() {
        StatusLists s = open(dir);
        Journal journal = new Journal(s);
        int reserve = StatusLists.RESERVE;
        journal.fail = 2 * reserve;
        for (int i = 0; i < reserve; i++) {
            assertEquals(i, s.allocate(token(jti(), null, null)).idx(), "indices of the durable block are served");
        }
        SignetException e = assertThrows(SignetException.class, () -> s.allocate(token(jti(), null, null)));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        journal.fail = -1;
        assertEquals(reserve, s.allocate(token(jti(), null, null)).idx(), "the disk is back: the block is journaled then");
        assertEquals(java.util.List.of(reserve, 2 * reserve), journal.durable);
    }

    @Test
    void aListIsSignedOncePerChangeAtABoundedRateAndUnpublishedAfterItsTokensExpire() {
        StatusLists s = open(null);
        String a = jti();
        StatusRef ra = s.allocate(token(a, "t", null));
        s.allocate(token(jti(), "u", null));
        byte[] first = s.served(ra.list()).orElseThrow().body();
        assertArrayEquals(first, s.served(ra.list()).orElseThrow().body());
        assertEquals(1, signatures, "no change, no signature");
        s.revoke(StatusLists.Kind.JTI, a, null);
        assertArrayEquals(first, s.served(ra.list()).orElseThrow().body(), "within a second of the last signature");
        clock.advance(Duration.ofSeconds(1));
        assertNotEquals(new String(first), new String(s.served(ra.list()).orElseThrow().body()));
        assertEquals(2, signatures);
        clock.advance(Duration.ofHours(2));
        assertTrue(s.served(ra.list()).isEmpty(), "window (1 h) + max lifetime (1 h) later no token points to it");
        assertTrue(s.published().isEmpty());
    }

    @Test
    void badRulesAreRefusedWithTheirCode() {
        StatusLists s = open(null);
        String a = new StatusLists.Token(jti(), clock.instant().plusSeconds(5), null, "s", "m", null).jti();
        s.allocate(new StatusLists.Token(a, clock.instant().plusSeconds(5), null, "s", "m", null));
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.TASK, " ", null)).code());
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, "x", null)).code());
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, jti(), null)).code());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, a, null)).code());
    }
}
