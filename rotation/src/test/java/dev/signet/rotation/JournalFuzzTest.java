package dev.signet.rotation;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets for the other journal files a store keeps (RELIABILITY.md): a replica's subkey journal
 * ({@link SubkeySet}) and the outstanding key intents ({@link KeyIntent}, one line each). Damage gives an
 * IllegalArgumentException (the stores wrap it with the file or row at fault), nothing else, and never a wrong
 * set: a subkey journal that decodes is byte for byte the one {@link SubkeySet#encode} writes for it; sealed with
 * a matching end line (so mutations reach the fields), what decodes re-encodes stably. An intent line that decodes
 * re-encodes to the same intent, with the line's id, kind, kid and version.
 */
class JournalFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void subkeys(byte[] data) throws Exception {
        String text = new String(data, StandardCharsets.UTF_8);
        SubkeySet raw = decodeOrNull(text);
        if (raw != null) {
            assertEquals(text, raw.encode(), "a subkey journal that decodes is the one written for that set");
        }
        SubkeySet sealed = decodeOrNull(seal(text));
        if (sealed != null) {
            assertEquals(sealed, SubkeySet.decode(sealed.encode()));
            assertEquals(sealed.encode(), SubkeySet.decode(sealed.encode()).encode());
        }
    }

    @FuzzTest(maxDuration = "20s")
    void intents(byte[] data) {
        for (String line : new String(data, StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList()) {
            KeyIntent intent;
            try {
                intent = KeyIntent.decode(line);
            } catch (IllegalArgumentException e) {
                continue; // FileLifecycleStore reports it as a damaged intents file
            }
            assertEquals(intent, KeyIntent.decode(intent.encode()));
            String[] f = line.split("\t", -1);
            assertEquals(f[0], intent.id());
            assertEquals(f[1], intent.kind().name());
            assertEquals(f[2], intent.kid() == null ? "-" : intent.kid());
            assertEquals(Long.parseLong(f[3]), intent.journalVersion());
        }
    }

    private static SubkeySet decodeOrNull(String text) {
        try {
            return SubkeySet.decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code text} up to its end line (if any), with the end line a writer would give it. */
    static String seal(String text) throws Exception {
        int end = text.lastIndexOf("\nend ");
        String body = end >= 0 ? text.substring(0, end + 1) : text.endsWith("\n") ? text : text + "\n";
        long subkeys = Math.max(0, body.lines().count() - 2);
        return body + "end " + subkeys + " " + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8))) + "\n";
    }
}
