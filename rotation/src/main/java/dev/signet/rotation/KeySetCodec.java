package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The journal's text form: a header line, a version line, one tab-separated line per key with the
 * {@link KeyRecord} components in order ({@code -} for none), then an end line with the number of keys and
 * the SHA-256 of everything before it. Plain text so operators can read it; every {@link LifecycleStore}
 * keeps this form. The end line makes a journal cut short, even at a line boundary, or edited, fail to load
 * instead of reading as a smaller journal.
 */
public final class KeySetCodec {

    static final String HEADER = "signet-keyset 2";
    /** Journals written before the end line: read (without the damage check) and rewritten at the next change. */
    static final String HEADER_V1 = "signet-keyset 1";
    private static final String END = "end";
    private static final String NONE = "-";

    private KeySetCodec() {
    }

    public static String encode(KeySet set) {
        StringBuilder out = new StringBuilder(HEADER).append('\n').append("version\t").append(set.version()).append('\n');
        for (KeyRecord k : set.keys()) {
            out.append(String.join("\t", k.kid(), k.algorithm().name(), k.state().name(), time(k.prepared()),
                    time(k.activates()), time(k.activated()), time(k.retires()), time(k.retired()),
                    time(k.unpublishes()), time(k.unpublished()), time(k.destroyAfter()), time(k.destroyed()),
                    text(k.forcedBecause()), text(k.revokedBecause()))).append('\n');
        }
        String body = out.toString();
        return body + END + '\t' + set.keys().size() + '\t' + sha256(body) + '\n';
    }

    /**
     * @throws IllegalArgumentException (only) if the text is not a whole journal (cut short, edited), a field does
     *                                  not parse, or the keys break an invariant; the message names the line
     */
    public static KeySet decode(String text) {
        boolean legacy = text.startsWith(HEADER_V1 + "\n");
        if (!legacy && !text.startsWith(HEADER + "\n")) {
            throw new IllegalArgumentException("not a Signet key journal");
        }
        String body = text;
        long count = -1;
        if (!legacy) {
            int end = text.lastIndexOf("\n" + END + "\t");
            if (end < 0 || !text.endsWith("\n")) {
                throw new IllegalArgumentException("the journal has no end line: it was cut short");
            }
            body = text.substring(0, end + 1);
            String[] trailer = text.substring(end + 1, text.length() - 1).split("\t", -1);
            if (trailer.length != 3 || !trailer[2].equals(sha256(body))) {
                throw new IllegalArgumentException("the journal's checksum does not match its contents: it was"
                        + " edited or damaged");
            }
            count = number(trailer[1], "the end line's key count");
            if (count < 0) {
                throw new IllegalArgumentException("the end line's key count is negative: " + count);
            }
        }
        String[] lines = body.split("\n");
        if (lines.length < 2 || !lines[1].startsWith("version\t")) {
            throw new IllegalArgumentException("not a Signet key journal");
        }
        long version = number(lines[1].substring("version\t".length()), "the version line");
        int fields = legacy ? 13 : 14;
        List<KeyRecord> keys = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            String[] f = lines[i].split("\t", -1);
            if (f.length != fields) {
                throw new IllegalArgumentException("journal line " + (i + 1) + " has " + f.length + " fields, not " + fields);
            }
            int d = legacy ? 0 : 1; // the destroy-after time, absent from version 1
            try {
                keys.add(new KeyRecord.Builder(f[0], SigningAlgorithm.parse(f[1]), KeyState.valueOf(f[2]), instant(f[3]))
                        .activates(instant(f[4])).activated(instant(f[5])).retires(instant(f[6])).retired(instant(f[7]))
                        .unpublishes(instant(f[8])).unpublished(instant(f[9]))
                        .destroyAfter(legacy ? null : instant(f[10])).destroyed(instant(f[10 + d]))
                        .forcedBecause(string(f[11 + d])).revokedBecause(string(f[12 + d])).build());
            } catch (RuntimeException e) { // DateTimeParseException, SignetException (algorithm), the record's checks
                throw new IllegalArgumentException("journal line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (count >= 0 && count != keys.size()) {
            throw new IllegalArgumentException("the journal lists " + keys.size() + " keys but its end line says " + count);
        }
        KeySet set;
        try {
            set = new KeySet(version, keys);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the journal's keys break an invariant: " + e.getMessage(), e);
        }
        // The checksum shows the file is whole, not that Signet wrote it: a text that means the same keys but is
        // spelled otherwise (escapes, number forms, blank lines) was edited, and is refused like any other edit.
        if (!legacy && !encode(set).equals(text)) {
            throw new IllegalArgumentException("the journal is not byte for byte what Signet writes for its keys: it was"
                    + " edited");
        }
        return set;
    }

    private static long number(String text, String what) {
        try {
            long n = Long.parseLong(text);
            // Only the spelling Signet writes: the end line's count is outside the checksum, so "007" or "+7" would
            // otherwise read as a journal Signet never wrote.
            if (Long.toString(n).equals(text)) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " is not a number as Signet writes it: '" + text + "'");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    private static String time(Instant t) {
        return t == null ? NONE : t.toString();
    }

    private static String text(String s) {
        // URL-encoding keeps tabs and newlines out; a lone "-" would read back as none.
        return s == null ? NONE : s.equals(NONE) ? "%2D" : URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static Instant instant(String s) {
        return s.equals(NONE) ? null : Instant.parse(s);
    }

    private static String string(String s) {
        return s.equals(NONE) ? null : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
