package dev.signet.issuance;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class JsonTest {

    private static final String TRICKY = "\"\\\n\r\t\u0000\u0001\u001f \u007f\u2028\u2029é€😀/<>";

    @Test
    void everyStringRoundTripsThroughAnIndependentParser() throws Exception {
        Random random = new Random(42);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder s = new StringBuilder();
            int len = random.nextInt(12);
            for (int i = 0; i < len; i++) {
                s.append(random.nextInt(3) == 0 ? TRICKY.charAt(random.nextInt(TRICKY.length()))
                        : (char) (random.nextBoolean() ? 'a' + random.nextInt(26) : random.nextInt(0x3000)));
            }
            StringBuilder out = new StringBuilder("{");
            Json.field(out, "k", s.toString());
            out.setLength(out.length() - 1);
            String json = out.append('}').toString();
            assertEquals(s.toString(), JSONObjectUtils.parse(json).get("k"), json);
            assertFalse(json.contains("\u2028") || json.contains("\u2029"), "line separators are escaped: " + json);
        }
    }
}
