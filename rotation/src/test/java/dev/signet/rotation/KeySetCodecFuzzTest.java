package dev.signet.rotation;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz target for the key journal decoder (RELIABILITY.md). A damaged journal must give an IllegalArgumentException
 * (the stores wrap it with the file or row at fault), nothing else, and never a wrong key set: a version-2 journal
 * that decodes is exactly what {@link KeySetCodec#encode} writes for the decoded set, and re-encoding a decoded set
 * is stable. The input is also decoded sealed, with its end line rewritten to match, so that mutations reach the
 * field parsing past the checksum. Inputs under src/test/resources/.../KeySetCodecFuzzTestInputs run in the
 * normal suite.
 */
class KeySetCodecFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void decode(byte[] data) throws Exception {
        String text = new String(data, StandardCharsets.UTF_8);
        check(text, true);
        if (text.startsWith(KeySetCodec.HEADER + "\n")) {
            check(seal(text), false);
        }
    }

    private static void check(String text, boolean exact) {
        KeySet set;
        try {
            set = KeySetCodec.decode(text);
        } catch (IllegalArgumentException e) {
            return; // refused: the stores report it with the file or row at fault
        }
        String encoded = KeySetCodec.encode(set);
        if (exact && text.startsWith(KeySetCodec.HEADER + "\n") && !text.contains("\n\n")) {
            assertEquals(text, encoded, "a journal that decodes is the one written for that key set");
        }
        assertEquals(set, KeySetCodec.decode(encoded));
        assertEquals(encoded, KeySetCodec.encode(KeySetCodec.decode(encoded)));
    }

    /** {@code text} up to its end line (if any), with the end line a writer would give it. */
    static String seal(String text) throws Exception {
        int end = text.lastIndexOf("\nend\t");
        String body = end >= 0 ? text.substring(0, end + 1) : text.endsWith("\n") ? text : text + "\n";
        long keys = body.lines().skip(2).filter(l -> !l.isEmpty()).count();
        return body + "end\t" + keys + "\t" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8))) + "\n";
    }
}
