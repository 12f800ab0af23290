package dev.signet.audit;

import dev.signet.software.InMemorySigning;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditLogTest {

    @TempDir
    Path tmp;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));
    final Keys keys = new Keys();

    /** Backend keys as the daemon has them: one current, older ones still held until destroyed. */
    static final class Keys implements CheckpointKeys {
        final Map<String, SigningKey> held = new HashMap<>();
        SigningKey current = add(InMemorySigning.generate(SigningAlgorithm.ES256));
        boolean down;

        SigningKey add(SigningKey k) {
            held.put(k.id(), k);
            return k;
        }

        public SigningKey current() {
            if (down) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "backend down");
            }
            return current;
        }

        public Optional<SigningKey> find(String kid) {
            return Optional.ofNullable(held.get(kid));
        }
    }

    AuditLog.Options options() {
        return AuditLog.Options.defaults(tmp.resolve("audit"), "r1").withCheckpoints(5, Duration.ofHours(1));
    }

    static AuditEvent token(int i) {
        return AuditEvent.of("token").put("jti", "jti-" + i).put("sub", "agent-" + (i % 3)).put("task", "task-" + (i % 2))
                .put("client_id", "minter-a").put("aud", "https://api.example.com")
                .put("scope", List.of(Map.of("resource", "repo:acme/x", "actions", List.of("read")))).build();
    }

    void write(AuditLog log, int from, int to) {
        for (int i = from; i < to; i++) {
            log.append(token(i)).await();
        }
    }

    Path segment() throws IOException {
        return Segments.list(tmp.resolve("audit")).getFirst();
    }

    /** A sink that passes everything to a real one: tests override what they make fail, hold or count. */
    static class Forwarding implements Segments.Sink {
        final Segments.Sink real;

        Forwarding(Segments.Sink real) {
            this.real = real;
        }

        public long size() throws IOException {
            return real.size();
        }

        public void write(ByteBuffer bytes) throws IOException {
            real.write(bytes);
        }

        public void force() throws IOException {
            real.force();
        }

        public void truncate(long size) throws IOException {
            real.truncate(size);
        }

        public void close() throws IOException {
            real.close();
        }
    }

    AuditVerifier.Report verify() throws IOException {
        return AuditVerifier.verify(tmp.resolve("audit"), Optional.empty());
    }

    @Test
    void everyRecordIsChainedCheckpointedAndFound() throws IOException {
        try (AuditLog log = AuditLog.open(options(), keys, clock)) {
            write(log, 0, 12);
        }
        AuditVerifier.Report r = verify();
        assertTrue(r.ok(), r.describe());
        assertEquals(keys.current.id(), r.firstKey());
        assertTrue(r.checkpoints() >= 3, "a checkpoint opens the segment, then one per 5 records: " + r.describe());
        assertEquals(0, r.unanchored(), "close writes a final checkpoint");
        assertTrue(AuditVerifier.verify(tmp.resolve("audit"), Optional.of(keys.current.id())).ok());
        assertFalse(AuditVerifier.verify(tmp.resolve("audit"), Optional.of("someone-else")).ok(),
                "a pin that is not the first checkpoint's key fails");

        List<String> found = new ArrayList<>();
        assertEquals(4, AuditSearch.find(tmp.resolve("audit"), Map.of("sub", "agent-1"), found::add));
        assertTrue(found.stream().allMatch(l -> l.contains("\"sub\":\"agent-1\"")));
        assertEquals(1, AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-7", "task", "task-1"), l -> { }));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(segment())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("audit"))));
    }

    List<String> lines() throws IOException {
        return new ArrayList<>(Files.readAllLines(segment(), StandardCharsets.UTF_8));
    }

    void rewrite(List<String> lines) throws IOException {
        Files.writeString(segment(), String.join("\n", lines) + "\n");
    }

    int lineOf(List<String> lines, String jti) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("\"jti\":\"" + jti + "\"")) {
                return i;
            }
        }
        throw new AssertionError(jti);
    }

    void closedLogOf(int n) {
        try (AuditLog log = AuditLog.open(options(), keys, clock)) {
            write(log, 0, n);
        }
    }

    @Test
    void anEditedRecordIsFoundAndLocated() throws IOException {
        closedLogOf(12);
        List<String> lines = lines();
        int i = lineOf(lines, "jti-6");
        lines.set(i, lines.get(i).replace("agent-0", "agent-9"));
        rewrite(lines);
        AuditVerifier.Report r = verify();
        assertFalse(r.ok());
        assertEquals(i + 2, r.at().line(), "the break shows at the record after the edited one: " + r.describe());
        assertTrue(r.problem().contains("was edited"), r.problem());
    }

    @Test
    void aDeletedRecordIsFound() throws IOException {
        closedLogOf(12);
        List<String> lines = lines();
        int i = lineOf(lines, "jti-3");
        lines.remove(i);
        rewrite(lines);
        AuditVerifier.Report r = verify();
        assertFalse(r.ok());
        assertTrue(r.problem().contains("missing") && r.problem().contains("deleted"), r.problem());
        assertEquals(i + 1, r.at().line());
    }

    @Test
    void reorderedRecordsAreFound() throws IOException {
        closedLogOf(12);
        List<String> lines = lines();
        int i = lineOf(lines, "jti-4");
        String a = lines.get(i);
        lines.set(i, lines.get(i + 1));
        lines.set(i + 1, a);
        rewrite(lines);
        AuditVerifier.Report r = verify();
        assertFalse(r.ok());
        assertEquals(i + 1, r.at().line(), r.describe());
    }

    @Test
    void aTornTailIsReportedByVerifyAndCutAtTheNextStart() throws IOException {
        closedLogOf(7);
        long whole = Files.size(segment());
        Files.write(segment(), "{\"seq\":99,\"time\":\"2026".getBytes(StandardCharsets.UTF_8),
                java.nio.file.StandardOpenOption.APPEND);
        AuditVerifier.Report torn = verify();
        assertFalse(torn.ok());
        assertTrue(torn.problem().startsWith("truncated record"), torn.problem());
        assertEquals(whole, torn.at().offset());

        try (AuditLog log = AuditLog.open(options(), keys, clock)) {
            write(log, 7, 9);
        }
        AuditVerifier.Report after = verify();
        assertTrue(after.ok(), "the torn record is cut, never kept, and the chain goes on: " + after.describe());
        assertEquals(1, AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-8"), l -> { }));
    }

    @Test
    void aCutAfterTheLastCheckpointIsReportedAsUnanchored() throws IOException {
        keys.down = true; // no checkpoint can be signed: nothing anchors the records
        closedLogOf(3);
        keys.down = false;
        AuditVerifier.Report r = verify();
        assertTrue(r.ok(), r.describe());
        assertEquals(3 + 1, r.unanchored(), "three tokens and the segment start: " + r.describe());
        assertTrue(r.describe().contains("unanchored"));
    }

    /**
     * Records cut from the end together with the checkpoints among them read as a sound, shorter log: only a
     * head kept outside the log (the PostgreSQL store's) shows the cut.
     */
    @Test
    void aTailCutWithItsCheckpointsIsFoundOnlyWithTheHeadsKeptOutside() throws IOException {
        Map<String, AuditLog.Head> heads = new HashMap<>();
        try (AuditLog log = AuditLog.open(options(), keys, clock)) {
            log.onCheckpoint(h -> heads.put(h.replica(), h));
            write(log, 0, 12);
        }
        AuditLog.Head latest = heads.get("r1");
        assertNotNull(latest, "each checkpoint is passed on");
        AuditVerifier.Report whole = AuditVerifier.verify(tmp.resolve("audit"), Optional.empty(), heads);
        assertTrue(whole.ok(), whole.describe());
        assertTrue(whole.describe().contains("head for replica r1 (seq " + latest.seq()), whole.describe());

        List<String> lines = lines();
        int cut = lineOf(lines, "jti-7"); // after the second checkpoint, before the later ones
        rewrite(lines.subList(0, cut + 1));
        AuditVerifier.Report alone = verify();
        assertTrue(alone.ok(), "the log alone cannot tell: " + alone.describe());
        assertTrue(alone.unanchored() > 0 && alone.describe().contains("unanchored"), alone.describe());

        AuditVerifier.Report anchored = AuditVerifier.verify(tmp.resolve("audit"), Optional.empty(), heads);
        assertFalse(anchored.ok());
        assertTrue(anchored.problem().contains("were cut") && anchored.problem().contains("seq " + latest.seq()),
                anchored.describe());

        Map<String, AuditLog.Head> other = Map.of("r1", new AuditLog.Head("r1", 1, latest.head(), latest.time(),
                "not-the-checkpoint"));
        AuditVerifier.Report rewritten = AuditVerifier.verify(tmp.resolve("audit"), Optional.empty(), other);
        assertFalse(rewritten.ok());
        assertTrue(rewritten.problem().contains("rewritten"), rewritten.describe());
        AuditVerifier.Report none = AuditVerifier.verify(tmp.resolve("audit"), Optional.empty(), Map.of());
        assertTrue(none.ok() && none.describe().contains("no checkpoint head for replica r1"), none.describe());
    }

    @Test
    void aForgedCheckpointIsFound() throws IOException {
        closedLogOf(12);
        List<String> lines = lines();
        int cp = -1;
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).contains("\"type\":\"checkpoint\"")) {
                cp = i;
                break;
            }
        }
        assertTrue(cp > 0);
        // An attacker re-signs the same place in the chain with a key of their own.
        SigningKey forger = InMemorySigning.generate(SigningAlgorithm.ES256);
        Map<String, Object> rec = parse(lines.get(cp));
        String jws = Checkpoints.checkpoint(forger, "r1", ((Number) rec.get("seq")).longValue(), (String) rec.get("prev"),
                (String) rec.get("time"));
        String forged = lines.get(cp).replace((String) rec.get("jws"), jws);
        lines.set(cp, forged);
        // and fixes the next record's prev so the hash chain itself still holds
        Map<String, Object> next = parse(lines.get(cp + 1));
        lines.set(cp + 1, lines.get(cp + 1).replace((String) next.get("prev"),
                AuditLog.hash(forged.getBytes(StandardCharsets.UTF_8))));
        rewrite(lines);
        AuditVerifier.Report r = verify();
        assertFalse(r.ok());
        assertTrue(r.problem().startsWith("forged checkpoint"), r.describe());
        assertEquals(cp + 1, r.at().line());
    }

    static Map<String, Object> parse(String line) {
        try {
            return com.nimbusds.jose.util.JSONObjectUtils.parse(line);
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aNewCheckpointKeyIsLinkedByThePreviousOneSoOnePinVerifiesTheWholeHistory() throws IOException {
        SigningKey first = keys.current;
        try (AuditLog log = AuditLog.open(options(), keys, clock)) {
            write(log, 0, 6);
            keys.current = keys.add(InMemorySigning.generate(SigningAlgorithm.EdDSA)); // the master rotated
            write(log, 6, 12);
        }
        AuditVerifier.Report r = AuditVerifier.verify(tmp.resolve("audit"), Optional.of(first.id()));
        assertTrue(r.ok(), r.describe());
        assertEquals(1, r.keyLinks());
        assertEquals(keys.current.id(), r.lastKey());
    }

    @Test
    void aFailingDiskRefusesEveryRecordLeavesNothingHalfWrittenAndRecovers() throws IOException {
        AtomicBoolean full = new AtomicBoolean();
        Segments.Opener failing = file -> {
            return new Forwarding(Segments.FILES.open(file)) {
                @Override
                public void write(ByteBuffer bytes) throws IOException {
                    if (full.get()) {
                        int half = bytes.remaining() / 2;
                        bytes.limit(bytes.position() + half);
                        real.write(bytes); // a partial write, as a filling disk gives
                        throw new IOException("No space left on device");
                    }
                    real.write(bytes);
                }
            };
        };
        try (AuditLog log = AuditLog.open(options(), keys, clock, failing)) {
            write(log, 0, 3);
            full.set(true);
            AuditTrail.Receipt receipt = log.append(token(3));
            SignetException e = assertThrows(SignetException.class, receipt::await);
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(e.retryAfter().isPresent());
            assertNotNull(log.failure(), "readiness can report why");
            assertThrows(SignetException.class, () -> log.append(token(4)),
                    "refused at once while failing, not queued");
            full.set(false);
            clock.advance(Duration.ofSeconds(2));
            log.append(token(5)).await();
            assertNull(log.failure(), "writes again when space returns");
        }
        AuditVerifier.Report r = verify();
        assertTrue(r.ok(), "nothing half-written stays in the chain: " + r.describe());
        assertEquals(0, AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-3"), l -> { }),
                "a refused record is not in the log");
        assertEquals(1, AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-5"), l -> { }));
    }

    /** A sink whose second force (the first record after the opening checkpoint) waits for {@code release}. */
    static Segments.Opener heldSecondForce(CountDownLatch inForce, CountDownLatch release, AtomicInteger forces) {
        return file -> {
            return new Forwarding(Segments.FILES.open(file)) {
                @Override
                public void force() throws IOException {
                    if (forces.incrementAndGet() == 2) {
                        inForce.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    }
                    real.force();
                }
            };
        };
    }

    @Test
    void aReceiptParksItsThreadOnlyWhileItsRecordIsNotDurable() throws Exception {
        CountDownLatch inForce = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> told = java.util.Collections.synchronizedList(new ArrayList<>());
        DurabilityWait.Listener listener = new DurabilityWait.Listener() {
            public void parked() {
                told.add("parked");
            }

            public void resumed() {
                told.add("resumed");
            }
        };
        try (AuditLog log = AuditLog.open(options(), keys, clock, heldSecondForce(inForce, release, new AtomicInteger()))) {
            AuditTrail.Receipt receipt = log.append(token(0));
            assertTrue(inForce.await(60, TimeUnit.SECONDS));
            Thread waiter = Thread.ofVirtual().start(() -> DurabilityWait.during(listener, receipt::await));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (told.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "the waiting thread parks");
                Thread.onSpinWait();
            }
            assertEquals(List.of("parked"), told, "parked while its fsync runs");
            release.countDown();
            waiter.join(TimeUnit.SECONDS.toMillis(60));
            assertEquals(List.of("parked", "resumed"), told);

            told.clear();
            DurabilityWait.during(listener, receipt::await);
            assertEquals(List.of(), told, "a durable record's receipt does not park");
        }
    }

    @Test
    void concurrentRecordsShareOneFsync() throws Exception {
        AtomicInteger forces = new AtomicInteger();
        CountDownLatch firstForce = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Segments.Opener counting = heldSecondForce(firstForce, release, forces);
        AuditLog.Options o = options().withCheckpoints(1000, Duration.ofHours(1));
        try (AuditLog log = AuditLog.open(o, keys, clock, counting)) {
            AuditTrail.Receipt first = log.append(token(0));
            firstForce.await();
            List<AuditTrail.Receipt> waiting = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                waiting.add(log.append(token(i))); // queued while the writer is inside fsync
            }
            release.countDown();
            first.await();
            waiting.forEach(AuditTrail.Receipt::await);
            assertEquals(3, forces.get(), "opening checkpoint, the first record, then all 100 in one fsync");
            assertEquals(2, log.groupsWritten(), "two groups of requests: the first record, then the 100");
        }
        assertTrue(verify().ok());
    }

    @Test
    void aBatchIsOneReceiptOneFsyncAndAllOrNothingWhenTheDiskFails() throws Exception {
        AtomicInteger forces = new AtomicInteger();
        AtomicBoolean full = new AtomicBoolean();
        Segments.Opener counting = file -> {
            return new Forwarding(Segments.FILES.open(file)) {
                @Override
                public void write(ByteBuffer bytes) throws IOException {
                    if (full.get()) {
                        bytes.limit(bytes.position() + bytes.remaining() / 2);
                        real.write(bytes); // half of the batch reaches the file, as a filling disk gives
                        throw new IOException("No space left on device");
                    }
                    real.write(bytes);
                }

                @Override
                public void force() throws IOException {
                    forces.incrementAndGet();
                    real.force();
                }
            };
        };
        AuditLog.Options o = options().withCheckpoints(1000, Duration.ofHours(1));
        try (AuditLog log = AuditLog.open(o, keys, clock, counting)) {
            int opening = forces.get();
            log.appendAll(List.of(token(0), token(1), token(2))).await();
            assertEquals(opening + 1, forces.get(), "the three records share one fsync");

            full.set(true);
            AuditTrail.Receipt refused = log.appendAll(List.of(token(3), token(4)));
            SignetException e = assertThrows(SignetException.class, refused::await);
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            full.set(false);
            clock.advance(Duration.ofSeconds(2));
            log.append(token(5)).await();
        }
        List<String> jtis = new ArrayList<>();
        AuditSearch.find(tmp.resolve("audit"), Map.of("client_id", "minter-a"), l -> jtis.add(l.replaceAll(".*\"jti\":\"([^\"]+)\".*", "$1")));
        assertEquals(List.of("jti-0", "jti-1", "jti-2", "jti-5"), jtis, "in order; none of the refused batch");
        assertTrue(verify().ok());
    }

    /**
     * With admission reporting requests at work, groups are held for them and written when the last one waits: every
     * record of concurrent writers is written once, in one chain, and no receipt is left waiting.
     */
    @Test
    void withABacklogReportedEveryConcurrentRecordIsWrittenAndChained() throws Exception {
        AuditLog.Options o = options().withCheckpoints(1000, Duration.ofHours(1));
        AtomicInteger atWork = new AtomicInteger();
        int threads = 16;
        int each = 50;
        try (AuditLog log = AuditLog.open(o, keys, clock)) {
            log.admission(atWork::get);
            atWork.set(threads); // a backlog: the writer holds groups open for the longer window
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = t * each;
                started.add(Thread.ofVirtual().start(() -> {
                    for (int i = from; i < from + each; i++) {
                        AuditTrail.Receipt r = log.append(token(i));
                        if (i == from + each - 1 && atWork.decrementAndGet() == 0) {
                            log.nobodyAtWork();
                        }
                        r.await();
                    }
                }));
            }
            for (Thread t : started) {
                assertTrue(t.join(Duration.ofSeconds(60)), "every receipt completes");
            }
            assertTrue(log.groupsWritten() < threads * each, "records shared fdatasyncs");
        }
        AuditVerifier.Report report = verify();
        assertTrue(report.ok(), report.toString());
        List<String> jtis = new ArrayList<>();
        AuditSearch.find(tmp.resolve("audit"), Map.of("client_id", "minter-a"), jtis::add);
        assertEquals(threads * each, jtis.size());
        assertEquals(threads * each, jtis.stream().distinct().count());
    }

    static Segments.Opener countingForces(AtomicInteger forces) {
        return file -> {
            return new Forwarding(Segments.FILES.open(file)) {
                @Override
                public void force() throws IOException {
                    forces.incrementAndGet();
                    real.force();
                }
            };
        };
    }

    static void within(Duration deadline, java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, what);
            Thread.sleep(5);
        }
    }

    /** ASYNC writes records as they come and makes them durable once a second (by the log's clock) and at close. */
    @Test
    void asyncRecordsAreWrittenAtOnceAndMadeDurableOnceASecondAndAtClose() throws Exception {
        AtomicInteger forces = new AtomicInteger();
        AuditLog.Options o = options().withCheckpoints(1000, Duration.ofHours(1)).with(AuditLog.Durability.ASYNC);
        try (AuditLog log = AuditLog.open(o, keys, clock, countingForces(forces))) {
            int opening = forces.get();
            for (int i = 0; i < 200; i++) {
                log.append(token(i)).await(); // returns at once
            }
            within(Duration.ofSeconds(20), () -> lineCount() == 201, "the 200 records reach the file");
            assertEquals(opening, forces.get(), "no fdatasync per group while the clock stands still");
            clock.advance(AuditLog.ASYNC_FORCE);
            within(Duration.ofSeconds(20), () -> forces.get() == opening + 1, "one fdatasync once a second has passed");
            log.append(token(200)).await();
            within(Duration.ofSeconds(20), () -> lineCount() == 202, "a record after it reaches the file");
        }
        assertTrue(forces.get() >= 3, "and what is left is made durable at close (with the closing checkpoint)");
        assertTrue(verify().ok());
        List<String> jtis = new ArrayList<>();
        AuditSearch.find(tmp.resolve("audit"), Map.of("client_id", "minter-a"), l -> jtis.add(l));
        assertEquals(201, jtis.size());
    }

    int lineCount() {
        try {
            return lines().size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The writer frames a group in one buffer it grows for a large group and gives back after. */
    @Test
    void aGroupLargerThanTheWritersBufferIsFramedWholeAndChained() throws Exception {
        AuditLog.Options o = options().withCheckpoints(100_000, Duration.ofHours(1));
        List<AuditEvent> big = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) { // about 1.5 MB: past both the initial buffer and the size kept
            big.add(AuditEvent.of("token").put("jti", "big-" + i).put("client_id", "minter-a")
                    .put("task", "é中😀 \"" + "x".repeat(400)).build());
        }
        try (AuditLog log = AuditLog.open(o, keys, clock)) {
            log.appendAll(big).await();
            write(log, 0, 3);
        }
        AuditVerifier.Report r = verify();
        assertTrue(r.ok(), r.describe());
        List<String> lines = lines();
        assertEquals(2_500 + 3 + 2, lines.size(), "opening and closing checkpoints around every record");
        assertEquals("big-2499", JSONObjectUtils.getString(JSONObjectUtils.parse(lines.get(2_500)), "jti"));
        assertEquals(2_503L, JSONObjectUtils.getLong(JSONObjectUtils.parse(lines.get(2_502)), "seq"), "seq counts from 1");
    }

    @Test
    void retentionRemovesWholeOldSegmentsAndTheRestStillVerifies() throws IOException {
        AuditLog.Options o = options().withSegments(2_000, Duration.ofDays(1)).withRetention(Duration.ofDays(30));
        try (AuditLog log = AuditLog.open(o, keys, clock)) {
            write(log, 0, 20);
            int before = Segments.list(tmp.resolve("audit")).size();
            assertTrue(before >= 3, "small segments roll: " + before);
            for (Path p : Segments.list(tmp.resolve("audit"))) {
                Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.from(clock.instant()));
            }
            clock.advance(Duration.ofDays(31));
            write(log, 20, 40);
            assertTrue(AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-0"), l -> { }) == 0,
                    "the oldest segment is gone");
        }
        AuditVerifier.Report r = verify();
        assertTrue(r.ok(), r.describe());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("removed by retention")), r.describe());
        assertEquals(1, AuditSearch.find(tmp.resolve("audit"), Map.of("jti", "jti-39"), l -> { }));
    }
}
