package dev.signet.audit;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for the audit log reader (RELIABILITY.md): {@link AuditVerifier#verify} on a directory of segments
 * whose bytes are the input, split at form feeds (one segment each). It never throws; a BROKEN report is located:
 * a problem, a segment it was given, a line of it and that line's byte offset. An OK report is never silent about
 * damage: checked without the verifier, every segment is whole lines, every line a JSON record, seq runs 1 up
 * across segments (or from a checkpoint), each prev is the hash of the line before, and the counts agree.
 */
class AuditVerifierFuzzTest {

    static final Path DIR = tempDir();

    @AfterAll
    static void removeTheFolder() throws IOException {
        try (var left = Files.list(DIR)) {
            for (Path p : left.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(DIR);
    }

    @FuzzTest(maxDuration = "20s")
    void segments(byte[] data) throws IOException {
        List<byte[]> segments = split(data);
        List<String> names = write(segments);
        AuditVerifier.Report r = AuditVerifier.verify(DIR, Optional.empty());
        if (!r.ok()) {
            assertNotNull(r.problem());
            assertNotNull(r.at(), "a broken log says where");
            if (segments.isEmpty()) {
                return;
            }
            int i = names.indexOf(r.at().segment());
            assertTrue(i >= 0, "the problem is in a segment it was given: " + r.at());
            List<Integer> starts = lineStarts(segments.get(i));
            assertTrue(r.at().line() >= 1 && r.at().line() <= starts.size(), "line " + r.at());
            assertEquals(starts.get((int) r.at().line() - 1).longValue(), r.at().offset(), "offset " + r.at());
            return;
        }
        assertSound(segments, r);
    }

    /** The valid seeds verify OK, so the soundness assertions are reached, not vacuous. */
    @Test
    void theValidSeedsAreSound() throws IOException {
        for (String name : List.of("valid", "three-segments")) {
            try (var in = getClass().getResourceAsStream("AuditVerifierFuzzTestInputs/segments/" + name)) {
                List<byte[]> segments = split(in.readAllBytes());
                write(segments);
                AuditVerifier.Report r = AuditVerifier.verify(DIR, Optional.empty());
                assertTrue(r.ok() && r.records() == 14 && r.checkpoints() == 4, r.describe());
                assertSound(segments, r);
            }
        }
    }

    /** Writes {@code valid} (one segment, checkpoints every 4 records); run with -Dsignet.fuzz.seeds=true when the format changes. */
    @Test
    @EnabledIfSystemProperty(named = "signet.fuzz.seeds", matches = "true")
    void writeSeed() throws IOException {
        Path dir = Files.createTempDirectory("audit-seed");
        AuditLogTest.Keys keys = new AuditLogTest.Keys();
        MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));
        try (AuditLog log = AuditLog.open(AuditLog.Options.defaults(dir, "r1").withCheckpoints(4, Duration.ofHours(1)),
                keys, clock)) {
            for (int i = 0; i < 10; i++) {
                log.append(AuditLogTest.token(i)).await();
            }
        }
        List<byte[]> parts = new ArrayList<>();
        for (Path p : Segments.list(dir)) {
            parts.add(Files.readAllBytes(p));
        }
        byte[] joined = String.join("\f", parts.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList())
                .getBytes(StandardCharsets.UTF_8);
        Files.write(Path.of("src/test/resources/dev/signet/audit/AuditVerifierFuzzTestInputs/segments/valid"), joined);
    }

    static void assertSound(List<byte[]> segments, AuditVerifier.Report r) {
        long records = 0;
        long expected = -1;
        byte[] previous = null;
        long lastSeq = 0;
        for (byte[] s : segments) {
            assertTrue(s.length == 0 || s[s.length - 1] == '\n', "an OK log has no torn line");
            for (int start : lineStarts(s)) {
                int end = start;
                while (s[end] != '\n') {
                    end++;
                }
                byte[] raw = Arrays.copyOfRange(s, start, end);
                Map<String, Object> rec;
                try {
                    rec = JSONObjectUtils.parse(new String(raw, StandardCharsets.UTF_8));
                } catch (ParseException e) {
                    throw new AssertionError("an OK log has a line that is not JSON", e);
                }
                long seq = ((Number) rec.get("seq")).longValue();
                if (previous == null) {
                    assertTrue(seq == 1 ? "".equals(rec.get("prev")) : "checkpoint".equals(rec.get("type")));
                } else {
                    assertEquals(expected, seq, "seq runs up by one");
                    assertEquals(AuditLog.hash(previous), rec.get("prev"), "prev is the hash of the line before");
                }
                previous = raw;
                expected = seq + 1;
                lastSeq = seq;
                records++;
            }
        }
        assertEquals(records, r.records());
        if (r.checkpoints() > 0) {
            assertEquals(lastSeq - r.lastAnchored(), r.unanchored());
        }
    }

    /** No bytes: no segment; else one segment per form-feed-separated piece, empty ones too. */
    static List<byte[]> split(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        if (data.length == 0) {
            return out;
        }
        int from = 0;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == '\f') {
                out.add(Arrays.copyOfRange(data, from, i));
                from = i + 1;
            }
        }
        return out;
    }

    static List<Integer> lineStarts(byte[] s) {
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (i == 0 || s[i - 1] == '\n') {
                starts.add(i);
            }
        }
        return starts;
    }

    private static List<String> write(List<byte[]> segments) throws IOException {
        try (var old = Files.list(DIR)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            String name = String.format("%s%06d%s", Segments.PREFIX, i + 1, Segments.SUFFIX);
            Files.write(DIR.resolve(name), segments.get(i));
            names.add(name);
        }
        return names;
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("audit-fuzz");
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
