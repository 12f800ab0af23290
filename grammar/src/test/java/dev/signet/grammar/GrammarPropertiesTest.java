package dev.signet.grammar;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests: random patterns over a small alphabet (so that they often overlap) and random or hostile
 * concrete text. Containment is sound and exact, and matching never accepts text outside the grammar.
 * Seeds are fixed so a failure reproduces; {@code -Dsignet.grammar.seed=N} explores other cases.
 */
class GrammarPropertiesTest {

    static final int TRIES = 2000;
    static final long BASE_SEED = Long.getLong("signet.grammar.seed", 0x5167_11L);

    static void forAll(Consumer<Random> property) {
        for (int i = 0; i < TRIES; i++) {
            long seed = BASE_SEED + i;
            try {
                property.accept(new Random(seed));
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    static <T> T pick(Random random, List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    // Resources. Pattern literals are a, b, c; "d" and "fresh" appear only in resources.

    static final List<String> LITERALS = List.of("a", "b", "c", "d");

    static String resourcePattern(Random random) {
        if (random.nextInt(16) == 0) {
            return "**";
        }
        List<String> segments = new ArrayList<>();
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
            segments.add(pick(random, List.of("a", "b", "c", "*")));
        }
        if (random.nextBoolean()) {
            segments.add("**");
        }
        return pick(random, List.of("repo", "file")) + ":" + (random.nextBoolean() ? "/" : "") + String.join("/", segments);
    }

    /** A resource the pattern matches, with wildcards filled from the literals. */
    static String instance(String pattern, Random random) {
        if (pattern.equals("**")) {
            return pick(random, List.of("repo:", "file:/", "zz:")) + pick(random, LITERALS);
        }
        return fill(pattern, () -> pick(random, LITERALS), 1 + random.nextInt(3));
    }

    static String fill(String pattern, Supplier<String> literal, int depth) {
        int colon = pattern.indexOf(':');
        String head = pattern.substring(0, colon + 1) + (pattern.startsWith("/", colon + 1) ? "/" : "");
        List<String> out = new ArrayList<>();
        for (String s : pattern.substring(head.length()).split("/")) {
            if (s.equals("**")) {
                for (int i = 0; i < depth; i++) {
                    out.add(literal.get());
                }
            } else {
                out.add(s.equals("*") ? literal.get() : s);
            }
        }
        return head + String.join("/", out);
    }

    /** Resources {@code b} matches, chosen so that some of them escape {@code a} whenever {@code a} does not cover {@code b}. */
    static List<String> witnesses(String b, String a) {
        if (b.equals("**")) {
            return List.of("zz:fresh", "repo:fresh", "file:/fresh");
        }
        List<String> out = new ArrayList<>();
        for (int depth = 1; depth <= a.split("/").length + 2; depth++) {
            out.add(fill(b, () -> "fresh", depth));
        }
        return out;
    }

    @Test
    void everyPatternParsesToItsOwnSpelling() {
        forAll(random -> {
            String p = resourcePattern(random);
            assertEquals(p, ResourcePattern.parse(p).toString());
        });
    }

    @Test
    void ifACoversBAndBMatchesAResourceThenAMatchesIt() {
        forAll(random -> {
            String a = resourcePattern(random);
            String b = resourcePattern(random);
            String r = instance(b, random);
            assertTrue(ResourcePattern.parse(b).matches(r), b + " matches its instance " + r);
            if (ResourcePattern.parse(a).covers(ResourcePattern.parse(b))) {
                assertTrue(ResourcePattern.parse(a).matches(r), a + " covers " + b + ", which matches " + r);
            }
        });
    }

    @Test
    void whenANotCoversBSomeResourceOfBEscapesA() {
        int notCovered = 0;
        for (int i = 0; i < TRIES; i++) {
            Random random = new Random(BASE_SEED + i);
            String a = resourcePattern(random);
            String b = random.nextInt(4) == 0 ? a.replaceFirst("(?<=[:/])\\*(?=/|$)", "a") : resourcePattern(random);
            ResourcePattern pa = ResourcePattern.parse(a);
            ResourcePattern pb = ResourcePattern.parse(b);
            List<String> w = witnesses(b, a);
            w.forEach(r -> assertTrue(pb.matches(r), b + " matches its witness " + r));
            assertEquals(pa.covers(pb), w.stream().allMatch(pa::matches), "seed " + (BASE_SEED + i) + ": " + a
                    + " covers " + b + "? witnesses " + w);
            notCovered += pa.covers(pb) ? 0 : 1;
        }
        assertTrue(notCovered > TRIES / 10 && notCovered < TRIES * 9 / 10, "both outcomes exercised: " + notCovered);
    }

    @Test
    void coversIsAPartialOrderWithOneSpellingPerSet() {
        forAll(random -> {
            ResourcePattern a = ResourcePattern.parse(resourcePattern(random));
            ResourcePattern b = ResourcePattern.parse(resourcePattern(random));
            ResourcePattern c = ResourcePattern.parse(resourcePattern(random));
            assertTrue(a.covers(a), a.toString());
            if (a.covers(b) && b.covers(c)) {
                assertTrue(a.covers(c), a + " ⊇ " + b + " ⊇ " + c);
            }
            if (a.covers(b) && b.covers(a)) {
                assertEquals(a, b);
            }
        });
    }

    static final List<String> TRICKS = List.of(".", "..", "...", "", "%2e%2e", "%2E", "a%2fb", "x\ny", "x\r", "\t",
            " ", "x\u0000", "\u2025", "\u00e9", "..\\..", "a:b", "*", "x*", "**", "x\u007f");

    @Test
    void aMatchedResourceWithATrickInsertedIsNeverMatched() {
        forAll(random -> {
            String a = resourcePattern(random);
            String r = instance(a, random);
            List<String> parts = new ArrayList<>(List.of(r.split("/", -1)));
            parts.add(1 + random.nextInt(parts.size()), pick(random, TRICKS));
            String attack = String.join("/", parts);
            assertFalse(ResourcePattern.parse(a).matches(attack), a + " matched " + attack);
            assertFalse(ResourcePattern.parse("**").matches(attack), "** matched " + attack);
        });
    }

    static final List<String> HOSTILE_RESOURCE_PIECES = List.of("repo:", "file:", "/", "a", "b", ".", "..", "%2e",
            "%2E%2E", "\n", "\r", "\t", " ", "\u0000", "*", "**", ":", "\\", "\u00e9", "\u2025", "//", "./");
    static final Pattern CLEAN_RESOURCE =
            Pattern.compile("[a-z][a-z0-9_-]*:/?[A-Za-z0-9._~@+=,-]+(/[A-Za-z0-9._~@+=,-]+)*");

    @Test
    void matchingAcceptsOnlyCleanResources() {
        forAll(random -> {
            StringBuilder r = new StringBuilder();
            for (int n = 1 + random.nextInt(8); n > 0; n--) {
                r.append(pick(random, HOSTILE_RESOURCE_PIECES));
            }
            String resource = r.toString();
            if (ResourcePattern.parse(resourcePattern(random)).matches(resource)
                    || ResourcePattern.parse("**").matches(resource)) {
                assertTrue(CLEAN_RESOURCE.matcher(resource).matches(), resource);
                for (String segment : resource.substring(resource.indexOf(':') + 1).split("/")) {
                    assertFalse(segment.chars().allMatch(ch -> ch == '.'), resource);
                }
            }
        });
    }

    // Audiences.

    static String audiencePattern(Random random) {
        if (random.nextInt(16) == 0) {
            return "*";
        }
        List<String> labels = new ArrayList<>();
        for (int n = 2 + random.nextInt(2); n > 0; n--) {
            labels.add(pick(random, List.of("a", "b", "example", "com")));
        }
        return pick(random, List.of("https", "http")) + "://" + (random.nextBoolean() ? "*." : "")
                + String.join(".", labels) + pick(random, List.of("", ":8443")) + pick(random, List.of("", "/x", "/x/y"));
    }

    static String audienceInstance(String pattern, String label) {
        return pattern.equals("*") ? "https://fresh.fresh.fresh.fresh" : pattern.replace("*", label);
    }

    @Test
    void audienceCoversIsSoundAndExact() {
        forAll(random -> {
            String a = audiencePattern(random);
            String b = random.nextInt(4) == 0 ? a.replace("*.", "a.") : audiencePattern(random);
            AudiencePattern pa = AudiencePattern.parse(a);
            AudiencePattern pb = AudiencePattern.parse(b);
            assertEquals(a, pa.toString());
            String r = audienceInstance(b, pick(random, List.of("a", "b", "d", "example", "com")));
            assertTrue(pb.matches(r), b + " matches " + r);
            if (pa.covers(pb)) {
                assertTrue(pa.matches(r), a + " covers " + b + ", which matches " + r);
            }
            String witness = audienceInstance(b, "fresh");
            assertEquals(pa.covers(pb), pa.matches(witness), a + " covers " + b + "? witness " + witness);
            if (pa.covers(pb) && pb.covers(pa)) {
                assertEquals(pa, pb);
            }
        });
    }

    static final List<String> HOSTILE_AUDIENCE_PIECES = List.of("https://", "http://", "HTTPS://", "user@", "@", "#",
            "?", ".", "..", "evil", "com", "example", "api", "/", "%2e", ":443", ":80", ":8443", ":", "*", "\n", " ",
            "A", "\\", "[::1]", "0x7f", "01");

    @Test
    void aWildcardAudienceMatchesOnlyOneMoreLabelOnItsOwnHost() {
        forAll(random -> {
            StringBuilder b = new StringBuilder(random.nextBoolean() ? "https://" : "");
            for (int n = 1 + random.nextInt(8); n > 0; n--) {
                b.append(pick(random, HOSTILE_AUDIENCE_PIECES));
            }
            String s = b.toString();
            // java.net.URI is the independent parser here.
            if (AudiencePattern.parse("https://*.example.com").matches(s)) {
                URI uri = URI.create(s);
                assertEquals("https", uri.getScheme(), s);
                assertNull(uri.getRawUserInfo(), s);
                assertNull(uri.getRawFragment(), s);
                assertNull(uri.getRawQuery(), s);
                assertEquals(-1, uri.getPort(), s);
                assertEquals("", uri.getRawPath(), s);
                assertTrue(uri.getHost().matches("[a-z0-9-]+\\.example\\.com"), s);
            }
            if (AudiencePattern.parse("*").matches(s)) {
                URI uri = URI.create(s);
                assertNull(uri.getRawUserInfo(), s);
                assertNull(uri.getRawFragment(), s);
                assertNull(uri.getRawQuery(), s);
                assertEquals(uri.getScheme().toLowerCase(Locale.ROOT), uri.getScheme(), s);
                assertEquals(uri.getHost().toLowerCase(Locale.ROOT), uri.getHost(), s);
                assertFalse(s.endsWith("/") || s.endsWith(".") || s.contains("..") || s.contains("%"), s);
                assertFalse(s.startsWith("https") ? uri.getPort() == 443 : uri.getPort() == 80, s);
            }
        });
    }
}
