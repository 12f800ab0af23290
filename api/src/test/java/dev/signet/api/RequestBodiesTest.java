package dev.signet.api;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strict JSON body reader on its own: RFC 8259 and nothing more, one object, every refusal a 400 MALFORMED. */
class RequestBodiesTest {

    static Map<String, Object> parse(String body) {
        return RequestBodies.parseObject(body.getBytes(StandardCharsets.UTF_8));
    }

    static void refused(byte[] body, String detail) {
        SignetException e = assertThrows(SignetException.class, () -> RequestBodies.parseObject(body),
                () -> "accepted: " + new String(body, StandardCharsets.UTF_8));
        assertEquals(SignetException.Code.MALFORMED, e.code());
        assertTrue(e.getMessage().contains(detail), e.getMessage());
    }

    static void refused(String body, String detail) {
        refused(body.getBytes(StandardCharsets.UTF_8), detail);
    }

    @Test
    void valuesComeOutAsNimbusGivesThem() {
        Map<String, Object> m = parse(" {\"s\":\"a\\u00e9\\n\\\"\",\"i\":-7,\"z\":0,\"l\":9223372036854775807,"
                + "\"big\":9223372036854775808,\"f\":1.5,\"e\":1e2,\"E\":-2E-1,\"t\":true,\"n\":null,"
                + "\"a\":[1,\"x\",[],{}],\"o\":{\"k\":false}}\r\n\t");
        assertEquals("a\u00e9\n\"", m.get("s"));
        assertEquals(-7L, m.get("i"));
        assertEquals(0L, m.get("z"));
        assertEquals(Long.MAX_VALUE, m.get("l"));
        assertEquals(9.223372036854775808E18, m.get("big"), "beyond a long: a double");
        assertEquals(1.5, m.get("f"));
        assertEquals(100.0, m.get("e"));
        assertEquals(-0.2, m.get("E"));
        assertEquals(true, m.get("t"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(List.of(1L, "x", List.of(), Map.of()), m.get("a"));
        assertEquals(Map.of("k", false), m.get("o"));
        assertEquals(List.of("s", "i", "z", "l", "big", "f", "e", "E", "t", "n", "a", "o"), new ArrayList<>(m.keySet()),
                "member order kept");
        assertInstanceOf(LinkedHashMap.class, m);
        assertEquals(Map.of(), parse("{}"));
        assertEquals(Map.of(), parse("\ufeff{}"), "a UTF-8 byte order mark may be ignored (RFC 8259 section 8.1)");
    }

    @Test
    void anythingButOneObjectIsRefused() {
        for (String body : List.of("null", "[]", "\"x\"", "7", "true", "[{}]")) {
            refused(body, "the body must be a JSON object");
        }
        for (String body : List.of("", " ", "{} {}", "{}x", "{}]", "{},", "{\"a\":1}{")) {
            refused(body, "");
        }
    }

    @Test
    void onlyStrictJsonIsAccepted() {
        for (String body : List.of("{sub:\"a\"}", "{'sub':'a'}", "{\"a\":'x'}", "{\"a\":1,}", "{\"a\":[1,]}",
                "{\"a\":[,1]}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\":1;\"b\":2}", "{\"a\"=1}",
                "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":0x10}",
                "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":TRUE}", "{\"a\":nul}", "{\"a\":undefined}",
                "{\"a\":1}//", "{/*c*/\"a\":1}", "#\n{}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\'\"}",
                "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}", "{\"a\":\"\u0000\"}", "{\"a\":\"open}", "{\"a\"",
                "{\"a\":1", "{\"a\":[1}", "{\"a\":{]}")) {
            refused(body, "");
        }
    }

    @Test
    void duplicateMemberNamesAreRefusedAtEveryDepth() {
        refused("{\"sub\":1,\"sub\":2}", "'sub' appears twice");
        refused("{\"a\":{\"x\":1,\"x\":1}}", "'x' appears twice");
        refused("{\"a\":[{\"x\":1},{\"y\":1,\"y\":1}]}", "'y' appears twice");
        refused("{\"\\u0073ub\":1,\"sub\":2}", "'sub' appears twice");
        refused("{\"" + "n".repeat(100) + "\":1,\"" + "n".repeat(100) + "\":2}", "'" + "n".repeat(64) + "…' appears twice");
        refused("{\"a\\u0001\":1,\"a\\u0001\":2}", "'a?' appears twice");
        assertEquals(Map.of("a", Map.of("x", 1L), "b", Map.of("x", 2L)), parse("{\"a\":{\"x\":1},\"b\":{\"x\":2}}"),
                "the same name in two objects is fine");
    }

    @Test
    void nestingIsBounded() {
        String sixteen = "{\"a\":".repeat(15) + "[]" + "}".repeat(15);
        assertEquals(1, parse(sixteen).size(), "16 levels are accepted");
        refused("{\"a\":".repeat(16) + "[]" + "}".repeat(16), "");
        refused("{\"a\":" + "[".repeat(100_000), "");
    }

    @Test
    void onlyWellFormedUtf8IsAccepted() {
        assertEquals("é€𝄞", parse("{\"s\":\"é€𝄞\"}").get("s"));
        byte[] ok = "{\"s\":\"__\"}".getBytes(StandardCharsets.US_ASCII);
        for (byte[] bad : List.of(new byte[]{(byte) 0xE9}, new byte[]{(byte) 0xC0, (byte) 0x80},
                new byte[]{(byte) 0xC3}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[]{(byte) 0x80, (byte) 0x80},
                new byte[]{(byte) 0xFF, (byte) 0xFE})) {
            byte[] body = Arrays.copyOf(ok, ok.length - 4 + bad.length + 2);
            System.arraycopy(bad, 0, body, 6, bad.length);
            body[body.length - 2] = '"';
            body[body.length - 1] = '}';
            refused(body, "not valid UTF-8");
        }
        byte[] name = "{\"\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
        refused(name, "not valid UTF-8");
    }
}
