package dev.signet.audit;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written record JSON reads back, through a JSON library, as exactly the fields that went in. */
class RecordJsonTest {

    /** The record's tail ({@code ,members}} after the chain's own members) as a JSON object of its own. */
    static String object(Map<String, Object> fields) {
        String tail = new String(RecordJson.tail(fields), java.nio.charset.StandardCharsets.UTF_8);
        return tail.equals("}") ? "{}" : "{" + tail.substring(1);
    }

    static Map<String, Object> roundTrip(Map<String, Object> fields) throws Exception {
        return JSONObjectUtils.parse(object(fields));
    }

    @Test
    void everyKindOfValueReadsBack() throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("jti", "abc-_123");
        fields.put("quote\"d", "a \"b\" \\ c / d");
        fields.put("controls", "line\nfeed\r\ttab\u0000nul\u001fus\u007fdel");
        fields.put("unicode", "é 中 \u2028 😀 <script>&");
        fields.put("iat", 1_767_225_600L);
        fields.put("idx", 42L);
        fields.put("bound", true);
        fields.put("none", null);
        fields.put("scope", List.of(Map.of("resource", "repo:acme/widgets", "actions", List.of("read", "write"))));
        fields.put("empty", List.of());
        assertEquals(fields, roundTrip(fields));
        assertEquals("{\"ratio\":0.5,\"nan\":\"NaN\"}", object(map("ratio", 0.5, "nan", Double.NaN)));
        assertEquals("{}", object(map()));
    }

    @Test
    void randomStringsReadBackUnchanged() throws Exception {
        Random random = new Random(18);
        for (int i = 0; i < 2000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                s.append((char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0xD800)));
            }
            Map<String, Object> fields = map(s.toString(), s.toString());
            assertEquals(fields, roundTrip(fields), () -> "for " + s.codePoints().mapToObj(Integer::toHexString).toList());
        }
    }

    /** Past the BMP and broken UTF-16 too: pairs as 4 bytes, a lone surrogate as '?' (what String.getBytes does). */
    @Test
    void surrogatesReadBackAsTheirUtf8() throws Exception {
        Random random = new Random(14);
        for (int i = 0; i < 2000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                switch (random.nextInt(4)) {
                    case 0 -> s.appendCodePoint(0x10000 + random.nextInt(0x100000));
                    case 1 -> s.append((char) (0xD800 + random.nextInt(0x800)));
                    case 2 -> s.append((char) (0xE000 + random.nextInt(0x2000)));
                    default -> s.append((char) random.nextInt(0x800));
                }
            }
            String utf8 = new String(s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(map("v", utf8), roundTrip(map("v", s.toString())),
                    () -> "for " + s.chars().mapToObj(Integer::toHexString).toList());
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
