package dev.signet.grammar;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The published vectors (vectors/grammar-vectors.json), which verifiers in other languages run too. */
class GrammarVectorsTest {

    @SuppressWarnings("unchecked")
    static Map<String, Object> section(String name) throws Exception {
        Map<String, Object> all = JSONObjectUtils.parse(Files.readString(Path.of("vectors", "grammar-vectors.json")));
        return (Map<String, Object>) all.get(name);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases(Map<String, Object> section, String name) {
        return (List<Map<String, Object>>) section.get(name);
    }

    @Test
    @SuppressWarnings("unchecked")
    void resourceVectors() throws Exception {
        Map<String, Object> s = section("resources");
        for (String text : (List<String>) s.get("invalid")) {
            assertThrows(GrammarException.class, () -> ResourcePattern.parse(text), text);
            assertFalse(ResourcePattern.parse("**").matches(text), text);
        }
        for (Map<String, Object> c : cases(s, "match")) {
            assertEquals(c.get("match"), ResourcePattern.parse((String) c.get("pattern")).matches((String) c.get("resource")),
                    c.toString());
        }
        for (Map<String, Object> c : cases(s, "covers")) {
            assertEquals(c.get("covers"), ResourcePattern.parse((String) c.get("a"))
                    .covers(ResourcePattern.parse((String) c.get("b"))), c.toString());
        }
        assertTrue(cases(s, "match").size() + cases(s, "covers").size() > 20, "the vectors were read");
    }

    @Test
    @SuppressWarnings("unchecked")
    void audienceVectors() throws Exception {
        Map<String, Object> s = section("audiences");
        for (String text : (List<String>) s.get("invalid")) {
            assertThrows(GrammarException.class, () -> AudiencePattern.parse(text), text);
            assertFalse(AudiencePattern.parse("*").matches(text), text);
        }
        for (Map<String, Object> c : cases(s, "match")) {
            assertEquals(c.get("match"), AudiencePattern.parse((String) c.get("pattern")).matches((String) c.get("audience")),
                    c.toString());
        }
        for (Map<String, Object> c : cases(s, "covers")) {
            assertEquals(c.get("covers"), AudiencePattern.parse((String) c.get("a"))
                    .covers(AudiencePattern.parse((String) c.get("b"))), c.toString());
        }
        assertTrue(cases(s, "match").size() + cases(s, "covers").size() > 20, "the vectors were read");
    }
}
