package dev.signet.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;

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
        check(data, new Grammar<>(ResourcePattern::parse, ResourcePattern::covers, ResourcePattern::isConcrete,
                ResourcePattern::matches, ResourcePattern.ANY));
    }

    @FuzzTest(maxDuration = "20s")
    void audience(byte[] data) {
        check(data, new Grammar<>(AudiencePattern::parse, AudiencePattern::covers, AudiencePattern::isConcrete,
                AudiencePattern::matches, AudiencePattern.ANY));
    }

    /** The two pattern classes share no interface; this names the operations the properties need. */
    private record Grammar<P>(Function<String, P> parse, BiPredicate<P, P> covers, Predicate<P> concrete,
                              BiPredicate<P, String> matches, String any) {

        // Any exception but GrammarException escapes and fails the target.
        P parseOrNull(String text) {
            try {
                return parse.apply(text);
            } catch (GrammarException e) {
                return null;
            }
        }
    }

    private static <P> void check(byte[] data, Grammar<P> g) {
        String[] parts = split(data);
        P p = g.parseOrNull(parts[0]);
        P c = g.parseOrNull(parts[1]);
        P any = g.parse().apply(g.any());
        if (p != null) {
            assertEquals(parts[0], p.toString());
            assertEquals(p, g.parse().apply(p.toString()));
            assertTrue(g.covers().test(p, p), "covers is reflexive");
            assertTrue(g.covers().test(any, p));
            if (g.concrete().test(p)) {
                assertTrue(g.matches().test(p, parts[0]));
            }
            boolean expected = c != null && g.concrete().test(c) && g.covers().test(p, c);
            assertEquals(expected, g.matches().test(p, parts[1]), () -> p + " matches " + parts[1]);
            if (c != null && g.covers().test(p, c) && g.covers().test(c, p)) {
                assertEquals(p, c, "mutual containment means one spelling");
            }
        } else {
            assertFalse(g.matches().test(any, parts[0]), "text outside the grammar is never matched");
        }
    }

    private static String[] split(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return nl < 0 ? new String[] {text, ""} : new String[] {text.substring(0, nl), text.substring(nl + 1)};
    }
}
