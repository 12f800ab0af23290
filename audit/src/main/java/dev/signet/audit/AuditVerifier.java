package dev.signet.audit;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks one replica's log offline: every hash link, every sequence number, every checkpoint and key-link
 * signature, from the first checkpoint's key (or a pinned kid) through each linked successor. Stops at the first
 * broken record and says where it is and what is wrong with it.
 */
public final class AuditVerifier {

    /** Where a problem is: the segment file, 1-based line and the byte offset of the line's start. */
    public record Location(String segment, long line, long offset, long seq) {
        @Override
        public String toString() {
            return segment + " line " + line + " (byte " + offset + (seq > 0 ? ", seq " + seq : "") + ")";
        }
    }

    /**
     * @param firstKey      kid of the key that signed the first checkpoint (pin it next time), or null
     * @param lastAnchored  seq of the last checkpoint, 0 if none
     * @param unanchored    records after the last checkpoint, which only an outside copy of the head can vouch for
     */
    public record Report(boolean ok, String problem, Location at, long records, int checkpoints, int keyLinks,
                         String firstKey, String lastKey, long lastAnchored, long unanchored, List<String> notes) {

        public String describe() {
            StringBuilder b = new StringBuilder();
            b.append(ok ? "OK" : "BROKEN").append(": ").append(records).append(" records, ").append(checkpoints)
                    .append(" checkpoints, ").append(keyLinks).append(" key links\n");
            if (!ok) {
                b.append("first broken record: ").append(at).append(": ").append(problem).append('\n');
            }
            if (firstKey != null) {
                b.append("first checkpoint key: ").append(firstKey).append(" (pin it: --pin ").append(firstKey)
                        .append(")\n");
            }
            if (lastKey != null && !lastKey.equals(firstKey)) {
                b.append("current checkpoint key: ").append(lastKey).append('\n');
            }
            if (unanchored > 0) {
                b.append(unanchored).append(" record(s) after the last checkpoint (seq ").append(lastAnchored)
                        .append(") are unanchored: a cut there looks like a crash's torn tail unless the head is kept elsewhere\n");
            }
            notes.forEach(n -> b.append("note: ").append(n).append('\n'));
            return b.toString();
        }
    }

    private AuditVerifier() {
    }

    /** @param pin the kid the first checkpoint must be signed by, if the auditor pinned one */
    public static Report verify(Path dir, Optional<String> pin) throws IOException {
        return new Walk(pin).run(dir);
    }

    /**
     * {@link #verify}, then compares the log with the latest checkpoint heads kept outside it (the PostgreSQL
     * store keeps each replica's): a head the log lacks means records were cut from its end, which the log alone
     * cannot tell from a crash's torn tail.
     *
     * @param heads the latest head of each replica, by replica id
     */
    public static Report verify(Path dir, Optional<String> pin, Map<String, AuditLog.Head> heads) throws IOException {
        Walk walk = new Walk(pin);
        Report report = walk.run(dir);
        if (!report.ok()) {
            return report;
        }
        if (walk.replica == null || !heads.containsKey(walk.replica)) {
            List<String> notes = new ArrayList<>(report.notes());
            notes.add("the store has no checkpoint head for replica " + walk.replica + ": nothing outside the log"
                    + " anchors its tail");
            return withNotes(report, notes);
        }
        AuditLog.Head h = heads.get(walk.replica);
        String found = walk.checkpointJws.get(h.seq());
        if (found == null) {
            long last = walk.expectedSeq - 1;
            String problem = h.seq() > last
                    ? "the log ends at seq " + last + ", but the store's latest checkpoint head for replica "
                    + walk.replica + " is seq " + h.seq() + " (" + h.time() + "): the records after seq " + last
                    + " were cut"
                    : "the store's latest checkpoint head for replica " + walk.replica + " (seq " + h.seq() + ", "
                    + h.time() + ") is not a checkpoint in this log: records were cut or replaced";
            return new Report(false, problem, walk.at, report.records(), report.checkpoints(), report.keyLinks(),
                    report.firstKey(), report.lastKey(), report.lastAnchored(), 0, report.notes());
        }
        if (!found.equals(h.jws())) {
            return new Report(false, "the checkpoint at seq " + h.seq() + " differs from the head the store kept"
                    + " for replica " + walk.replica + " (" + h.time() + "): the log was rewritten", walk.at,
                    report.records(), report.checkpoints(), report.keyLinks(), report.firstKey(), report.lastKey(),
                    report.lastAnchored(), 0, report.notes());
        }
        List<String> notes = new ArrayList<>(report.notes());
        notes.add("the store's latest checkpoint head for replica " + walk.replica + " (seq " + h.seq() + ", "
                + h.time() + ") is in the log");
        return withNotes(report, notes);
    }

    private static Report withNotes(Report r, List<String> notes) {
        return new Report(r.ok(), r.problem(), r.at(), r.records(), r.checkpoints(), r.keyLinks(), r.firstKey(),
                r.lastKey(), r.lastAnchored(), r.unanchored(), List.copyOf(notes));
    }

    private static final class Walk {
        final Optional<String> pin;
        final List<String> notes = new ArrayList<>();
        long records;
        int checkpoints;
        int links;
        String firstKey;
        JWK current;
        long lastAnchored;
        long expectedSeq = -1;
        String expectedPrev;
        Location at;
        String replica;
        final Map<Long, String> checkpointJws = new java.util.HashMap<>();

        Walk(Optional<String> pin) {
            this.pin = pin;
        }

        Report broken(String problem) {
            return new Report(false, problem, at, records, checkpoints, links, firstKey,
                    current == null ? null : current.getKeyID(), lastAnchored, 0, notes);
        }

        Report run(Path dir) throws IOException {
            List<Path> segments = Segments.list(dir);
            if (segments.isEmpty()) {
                at = new Location(dir.toString(), 0, 0, 0);
                return broken("no audit segments in " + dir);
            }
            for (Path segment : segments) {
                byte[] bytes = Files.readAllBytes(segment);
                int start = 0;
                long line = 0;
                while (start < bytes.length) {
                    int end = start;
                    while (end < bytes.length && bytes[end] != '\n') {
                        end++;
                    }
                    line++;
                    at = new Location(segment.getFileName().toString(), line, start, 0);
                    if (end == bytes.length) {
                        return broken("truncated record (" + (end - start) + " bytes without a newline): a torn"
                                + " write the daemon cuts at its next start, or the log was cut here");
                    }
                    byte[] raw = java.util.Arrays.copyOfRange(bytes, start, end);
                    Report r = record(raw, segment.equals(segments.getFirst()) && start == 0);
                    if (r != null) {
                        return r;
                    }
                    start = end + 1;
                }
                if (segment != segments.getLast() && bytes.length == 0) {
                    notes.add("empty segment " + segment.getFileName());
                }
            }
            if (firstKey == null) {
                notes.add("no checkpoint at all: nothing in this log is signed");
            }
            long unanchored = expectedSeq - 1 - lastAnchored;
            return new Report(true, null, null, records, checkpoints, links, firstKey,
                    current == null ? null : current.getKeyID(), lastAnchored, Math.max(0, unanchored), notes);
        }

        /** Checks one line; null when it is sound. */
        Report record(byte[] raw, boolean firstOfLog) {
            Map<String, Object> r;
            try {
                r = JSONObjectUtils.parse(new String(raw, StandardCharsets.UTF_8));
            } catch (ParseException e) {
                return broken("not a JSON object: the record was edited or damaged");
            }
            if (!(r.get("seq") instanceof Number n) || !(r.get("prev") instanceof String prev)
                    || !(r.get("type") instanceof String type)) {
                return broken("missing seq, prev or type: the record was edited");
            }
            long seq = n.longValue();
            at = new Location(at.segment(), at.line(), at.offset(), seq);
            if (r.get("replica") instanceof String name) {
                replica = name;
            }
            if (firstOfLog) {
                if (seq == 1 && !prev.isEmpty()) {
                    return broken("the first record of the log has a prev: edited");
                }
                if (seq != 1 && !"checkpoint".equals(type)) {
                    return broken("the log starts at seq " + seq + " without a checkpoint: earlier segments were"
                            + " removed without an anchor, or the first records were deleted");
                }
                if (seq != 1) {
                    notes.add("the log starts at seq " + seq + " (earlier segments removed by retention)");
                }
            } else {
                if (seq < expectedSeq) {
                    return broken("seq " + seq + " after seq " + (expectedSeq - 1) + ": records were reordered or duplicated");
                }
                if (seq > expectedSeq) {
                    return broken((seq - expectedSeq) + " record(s) missing before seq " + seq + " (expected "
                            + expectedSeq + "): deleted");
                }
                if (!prev.equals(expectedPrev)) {
                    return broken("prev does not match the hash of the record before it: that record (seq "
                            + (seq - 1) + ") was edited, or records were removed or reordered");
                }
            }
            switch (type) {
                case "checkpoint" -> {
                    Report bad = checkpoint(r, seq, prev);
                    if (bad != null) {
                        return bad;
                    }
                }
                case "key_link" -> {
                    Report bad = link(r, seq, prev);
                    if (bad != null) {
                        return bad;
                    }
                }
                default -> {
                }
            }
            records++;
            expectedSeq = seq + 1;
            expectedPrev = AuditLog.hash(raw);
            return null;
        }

        Report checkpoint(Map<String, Object> r, long seq, String prev) {
            if (!(r.get("jws") instanceof String jws)) {
                return broken("checkpoint without a jws");
            }
            Checkpoints.Checked c = Checkpoints.verify(jws, Checkpoints.CHECKPOINT_TYPE, current);
            if (current == null && c.ok()) {
                try {
                    current = JWK.parse(JSONObjectUtils.getJSONObject(c.payload(), "jwk"));
                } catch (ParseException e) {
                    return broken("checkpoint jwk does not parse");
                }
                firstKey = c.kid();
                if (pin.isPresent() && !pin.get().equals(firstKey)) {
                    return broken("the first checkpoint is signed by " + firstKey + ", not the pinned key " + pin.get());
                }
            }
            if (!c.ok()) {
                return broken("forged checkpoint: " + c.problem()
                        + (current != null ? " (expected a signature by " + current.getKeyID() + ")" : ""));
            }
            Object cs = c.payload().get("seq");
            if (!(cs instanceof Number num) || num.longValue() != seq || !prev.equals(c.payload().get("head"))) {
                return broken("checkpoint does not sign this place in the chain (its seq/head differ from the record's)");
            }
            checkpoints++;
            lastAnchored = seq;
            checkpointJws.put(seq, jws);
            return null;
        }

        Report link(Map<String, Object> r, long seq, String prev) {
            if (!(r.get("jws") instanceof String jws)) {
                return broken("key link without a jws");
            }
            if (current == null) {
                return broken("key link before any checkpoint");
            }
            Checkpoints.Checked c = Checkpoints.verify(jws, Checkpoints.LINK_TYPE, current);
            if (!c.ok()) {
                return broken("forged key link: " + c.problem());
            }
            Object ls = c.payload().get("seq");
            if (!(ls instanceof Number num) || num.longValue() != seq || !prev.equals(c.payload().get("head"))) {
                return broken("key link does not sign this place in the chain");
            }
            try {
                JWK next = JWK.parse(JSONObjectUtils.getJSONObject(c.payload(), "to_jwk"));
                if (!next.computeThumbprint().toString().equals(c.payload().get("to"))) {
                    return broken("key link names a key whose thumbprint is not its 'to'");
                }
                current = next;
            } catch (ParseException | com.nimbusds.jose.JOSEException e) {
                return broken("key link to_jwk does not parse");
            }
            links++;
            return null;
        }
    }
}
