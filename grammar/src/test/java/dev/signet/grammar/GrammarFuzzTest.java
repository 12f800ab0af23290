package dev.signet.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz targets for the resource and audience grammar (RELIABILITY.md). An input is UTF-8 text: a pattern, and
 * after the first newline a candidate. Whatever the bytes, parsing either refuses with a GrammarException or
 * gives a pattern whose only spelling is the input; containment is reflexive, {@code ANY} covers everything,
 * and a candidate is matched exactly when it parses as a concrete resource the pattern covers. The inputs under
 * src/test/resources/.../GrammarFuzzTestInputs run in the normal suite; {@code JAZZER_FUZZ=1} fuzzes.
 */
class GrammarFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void resource(byte[] data) {
        String[] parts = split(data);
        ResourcePattern p = parseResource(parts[0]);
        ResourcePattern c = parseResource(parts[1]);
        if (p != null) {
            assertEquals(parts[0], p.toString());
            assertEquals(p, ResourcePattern.parse(p.toString()));
            assertTrue(p.covers(p), "covers is reflexive");
            assertTrue(ResourcePattern.parse(ResourcePattern.ANY).covers(p));
            if (p.isConcrete()) {
                assertTrue(p.matches(parts[0]));
            }
            boolean expected = c != null && c.isConcrete() && p.covers(c);
            assertEquals(expected, p.matches(parts[1]), () -> p + " matches " + parts[1]);
            if (c != null && p.covers(c) && c.covers(p)) {
                assertEquals(p, c, "mutual containment means one spelling");
            }
        } else {
            assertFalse(ResourcePattern.parse(ResourcePattern.ANY).matches(parts[0]), "text outside the grammar is never matched");
        }
    }

    @FuzzTest(maxDuration = "20s")
    void audience(byte[] data) {
        String[] parts = split(data);
        AudiencePattern p = parseAudience(parts[0]);
        AudiencePattern c = parseAudience(parts[1]);
        if (p != null) {
            assertEquals(parts[0], p.toString());
            assertEquals(p, AudiencePattern.parse(p.toString()));
            assertTrue(p.covers(p), "covers is reflexive");
            assertTrue(AudiencePattern.parse(AudiencePattern.ANY).covers(p));
            if (p.isConcrete()) {
                assertTrue(p.matches(parts[0]));
            }
            boolean expected = c != null && c.isConcrete() && p.covers(c);
            assertEquals(expected, p.matches(parts[1]), () -> p + " matches " + parts[1]);
            if (c != null && p.covers(c) && c.covers(p)) {
                assertEquals(p, c, "mutual containment means one spelling");
            }
        } else {
            assertFalse(AudiencePattern.parse(AudiencePattern.ANY).matches(parts[0]), "text outside the grammar is never matched");
        }
    }

    private static String[] split(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return nl < 0 ? new String[] {text, ""} : new String[] {text.substring(0, nl), text.substring(nl + 1)};
    }

    // Any exception but GrammarException escapes and fails the target.
    private static ResourcePattern parseResource(String text) {
        try {
            return ResourcePattern.parse(text);
        } catch (GrammarException e) {
            return null;
        }
    }

    private static AudiencePattern parseAudience(String text) {
        try {
            return AudiencePattern.parse(text);
        } catch (GrammarException e) {
            return null;
        }
    }
}
