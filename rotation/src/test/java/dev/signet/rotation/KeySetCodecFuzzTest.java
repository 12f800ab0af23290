package dev.signet.rotation;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz target for the key journal decoder (RELIABILITY.md). A damaged journal must give an error the stores
 * report (they wrap any RuntimeException with the file or row at fault), never an Error and never a wrong key set:
 * a version-2 journal that decodes is exactly what {@link KeySetCodec#encode} writes for the decoded set, and
 * re-encoding a decoded set is stable. Inputs under src/test/resources/.../KeySetCodecFuzzTestInputs run in the
 * normal suite.
 */
class KeySetCodecFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        KeySet set;
        try {
            set = KeySetCodec.decode(text);
        } catch (RuntimeException e) {
            return; // refused: the stores report it with the file or row at fault
        }
        String encoded = KeySetCodec.encode(set);
        if (text.startsWith(KeySetCodec.HEADER + "\n") && !text.contains("\n\n")) {
            assertEquals(text, encoded, "a journal that decodes is the one written for that key set");
        }
        assertEquals(encoded, KeySetCodec.encode(KeySetCodec.decode(encoded)));
    }
}
