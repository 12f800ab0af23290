package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The journal's text form: a header line, a version line, then one tab-separated line per key with the
 * {@link KeyRecord} components in order, {@code -} for none. Plain text so operators can read it; every
 * {@link LifecycleStore} keeps this form.
 */
public final class KeySetCodec {

    static final String HEADER = "signet-keyset 1";
    private static final String NONE = "-";

    private KeySetCodec() {
    }

    public static String encode(KeySet set) {
        StringBuilder out = new StringBuilder(HEADER).append('\n').append("version\t").append(set.version()).append('\n');
        for (KeyRecord k : set.keys()) {
            out.append(String.join("\t", k.kid(), k.algorithm().name(), k.state().name(), time(k.prepared()),
                    time(k.activates()), time(k.activated()), time(k.retires()), time(k.retired()),
                    time(k.unpublishes()), time(k.unpublished()), time(k.destroyed()), text(k.forcedBecause()),
                    text(k.revokedBecause()))).append('\n');
        }
        return out.toString();
    }

    /** @throws IllegalArgumentException if the text is not a journal or breaks an invariant */
    public static KeySet decode(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 2 || !lines[0].equals(HEADER) || !lines[1].startsWith("version\t")) {
            throw new IllegalArgumentException("not a Signet key journal");
        }
        long version = Long.parseLong(lines[1].substring("version\t".length()));
        List<KeyRecord> keys = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            String[] f = lines[i].split("\t", -1);
            if (f.length != 13) {
                throw new IllegalArgumentException("journal line " + (i + 1) + " has " + f.length + " fields, not 13");
            }
            keys.add(new KeyRecord.Builder(f[0], SigningAlgorithm.parse(f[1]), KeyState.valueOf(f[2]), instant(f[3]))
                    .activates(instant(f[4])).activated(instant(f[5])).retires(instant(f[6])).retired(instant(f[7]))
                    .unpublishes(instant(f[8])).unpublished(instant(f[9])).destroyed(instant(f[10]))
                    .forcedBecause(string(f[11])).revokedBecause(string(f[12])).build());
        }
        return new KeySet(version, keys);
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
