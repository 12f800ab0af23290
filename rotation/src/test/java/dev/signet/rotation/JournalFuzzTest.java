package dev.signet.rotation;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets for the other journal files a store keeps (RELIABILITY.md): a replica's subkey journal
 * ({@link SubkeySet}) and the file of outstanding key intents ({@link KeyIntent#decodeAll}). Damage gives an
 * IllegalArgumentException (the stores wrap it with the file or row at fault), nothing else, and never a wrong
 * set: a file that decodes is byte for byte the one its encoder writes for it; sealed with a matching end line
 * (so mutations reach the fields), what decodes re-encodes stably, and each intent has its line's id, kind, kid
 * and version.
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
    void intents(byte[] data) throws Exception {
        String text = new String(data, StandardCharsets.UTF_8);
        java.util.List<KeyIntent> raw = intentsOrNull(text);
        if (raw != null) {
            assertEquals(text, KeyIntent.encodeAll(raw), "an intents file that decodes is the one written for them");
        }
        String sealed = sealIntents(text);
        java.util.List<KeyIntent> all = intentsOrNull(sealed);
        if (all != null) {
            String[] lines = sealed.split("\n");
            assertEquals(lines.length - 2, all.size());
            for (int i = 0; i < all.size(); i++) {
                KeyIntent intent = all.get(i);
                assertEquals(intent, KeyIntent.decode(intent.encode()));
                String[] f = lines[i + 1].split("\t", -1);
                assertEquals(f[0], intent.id());
                assertEquals(f[1], intent.kind().name());
                assertEquals(f[2], intent.kid() == null ? "-" : intent.kid());
                assertEquals(Long.parseLong(f[3]), intent.journalVersion());
            }
        }
    }

    private static java.util.List<KeyIntent> intentsOrNull(String text) {
        try {
            return KeyIntent.decodeAll(text);
        } catch (IllegalArgumentException e) {
            return null; // FileLifecycleStore reports it as a damaged intents file
        }
    }

    /** The lines of {@code text} after its header (if any) and up to its end line (if any), framed as a writer would. */
    static String sealIntents(String text) throws Exception {
        String body = text.startsWith(KeyIntent.FILE_HEADER + "\n") ? text.substring(KeyIntent.FILE_HEADER.length() + 1) : text;
        int end = body.lastIndexOf("end\t");
        body = end == 0 ? "" : end > 0 && body.charAt(end - 1) == '\n' ? body.substring(0, end) : body;
        body = KeyIntent.FILE_HEADER + "\n" + (body.isEmpty() || body.endsWith("\n") ? body : body + "\n");
        return body + "end\t" + (body.split("\n", -1).length - 2) + "\t" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8))) + "\n";
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
