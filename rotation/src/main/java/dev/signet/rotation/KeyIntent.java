package dev.signet.rotation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A backend call about to be made, journaled in the {@link LifecycleStore} before it is made: fencing keeps a
 * writer that lost the lease out of the journal, but a paused former holder could still create or destroy a
 * key in the backend, so what it meant to do stays behind for the next holder to {@linkplain Reconcile finish}.
 *
 * @param id             unique, to clear exactly this intent once its outcome is journaled
 * @param kind           a key being generated or destroyed
 * @param kid            the key being destroyed; null for {@link Kind#GENERATE} (the backend picks the id)
 * @param journalVersion the journal version the call was planned on
 * @param known          for {@link Kind#GENERATE}, the backend's keys just before the call: a key outside both
 *                       these and the journal can only be this call's
 * @param at             when it was recorded (the ring's clock)
 */
public record KeyIntent(String id, Kind kind, String kid, long journalVersion, Set<String> known, Instant at) {

    public enum Kind { GENERATE, DESTROY }

    public KeyIntent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
        if ((kind == Kind.DESTROY) != (kid != null)) {
            throw new IllegalArgumentException("a DESTROY intent names its key, a GENERATE intent none");
        }
        known = Set.copyOf(known);
    }

    public static KeyIntent generate(Instant at, long journalVersion, Set<String> known) {
        return new KeyIntent(UUID.randomUUID().toString(), Kind.GENERATE, null, journalVersion, known, at);
    }

    public static KeyIntent destroy(Instant at, long journalVersion, String kid) {
        return new KeyIntent(UUID.randomUUID().toString(), Kind.DESTROY, kid, journalVersion, Set.of(), at);
    }

    /** One tab-separated line (every store keeps this form): id, kind, kid or -, version, time, known kids comma-separated. */
    public String encode() {
        return String.join("\t", id, kind.name(), kid == null ? "-" : kid, Long.toString(journalVersion), at.toString(),
                String.join(",", new TreeSet<>(known)));
    }

    /**
     * The text of a file of outstanding intents: a header line, one {@link #encode} line per intent in order, then an
     * end line with the number of intents and the SHA-256 of everything before it (the key journal's framing), so a
     * file cut short, even at a line boundary, or edited fails to load instead of reading as fewer intents.
     */
    public static String encodeAll(List<KeyIntent> intents) {
        StringBuilder body = new StringBuilder(FILE_HEADER).append('\n');
        intents.forEach(i -> body.append(i.encode()).append('\n'));
        return body + FILE_END + '\t' + intents.size() + '\t' + KeySetCodec.sha256(body.toString()) + '\n';
    }

    /**
     * @throws IllegalArgumentException (only) if {@code text} is not byte for byte what {@link #encodeAll} writes for
     *                                  the intents it lists (cut short, edited, or a line that does not decode)
     */
    public static List<KeyIntent> decodeAll(String text) {
        if (!text.startsWith(FILE_HEADER + "\n")) {
            throw new IllegalArgumentException("not a Signet intents file (" + FILE_HEADER + "), or cut short");
        }
        int end = text.lastIndexOf("\n" + FILE_END + "\t");
        if (end < 0 || !text.endsWith("\n")) {
            throw new IllegalArgumentException("the intents file has no end line: it was cut short");
        }
        String body = text.substring(0, end + 1);
        String[] trailer = text.substring(end + 1, text.length() - 1).split("\t", -1);
        if (trailer.length != 3 || !trailer[2].equals(KeySetCodec.sha256(body))) {
            throw new IllegalArgumentException("the intents file's checksum does not match its contents: it was edited"
                    + " or damaged");
        }
        List<KeyIntent> intents = new ArrayList<>();
        String[] lines = body.split("\n", -1);
        for (int i = 1; i < lines.length - 1; i++) { // after the header, before the empty string past the last \n
            try {
                intents.add(decode(lines[i]));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("intents line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        // The count is outside the checksum; and a text that means the same intents but is spelled otherwise
        // ("+7", "007", known kids reordered) was edited: both are refused by comparing with what Signet writes.
        if (!encodeAll(intents).equals(text)) {
            throw new IllegalArgumentException("the intents file is not byte for byte what Signet writes for its "
                    + intents.size() + " intents (its end line's count, or a line, was edited)");
        }
        return List.copyOf(intents);
    }

    /**
     * The file as Signet wrote it before the end line: one {@link #encode} line each, every line ended by a newline,
     * nothing else (an empty file for none). Read once, by {@link FileLifecycleStore}, to rewrite it framed.
     *
     * @throws IllegalArgumentException if a line does not decode or the last one is cut short
     */
    static List<KeyIntent> decodeUnframed(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("its last line is cut short");
        }
        List<KeyIntent> intents = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                intents.add(decode(line));
            }
        }
        return List.copyOf(intents);
    }

    static final String FILE_HEADER = "signet-intents 1";
    private static final String FILE_END = "end";

    /** @throws IllegalArgumentException if {@code line} is not what {@link #encode} writes */
    public static KeyIntent decode(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("a key intent has 6 fields, this line " + f.length);
        }
        try {
            return new KeyIntent(f[0], Kind.valueOf(f[1]), f[2].equals("-") ? null : f[2], Long.parseLong(f[3]),
                    f[5].isEmpty() ? Set.of() : Set.of(f[5].split(",")), Instant.parse(f[4]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("damaged key intent: " + e.getMessage(), e);
        }
    }
}
