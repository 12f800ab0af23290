package dev.signet.grammar;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResourcePatternTest {

    static boolean matches(String pattern, String resource) {
        return ResourcePattern.parse(pattern).matches(resource);
    }

    static boolean covers(String a, String b) {
        return ResourcePattern.parse(a).covers(ResourcePattern.parse(b));
    }

    static String refusal(String text) {
        return assertThrows(GrammarException.class, () -> ResourcePattern.parse(text), text).getMessage();
    }

    @Test
    void theIssueAttacksAreNotResources() {
        for (String attack : List.of("repo:acme/../evil/secret", "repo:acme/%2e%2e/evil", "repo:acme/x\nrepo:evil/y",
                "file:/srv/public/../../../etc/shadow")) {
            refusal(attack);
            assertFalse(matches("repo:acme/*", attack), attack);
            assertFalse(matches("file:/srv/public/*", attack), attack);
            assertFalse(matches("**", attack), "not even ** matches text outside the grammar: " + attack);
        }
    }

    @Test
    void refusesWhatServersMightReadDifferently() {
        assertTrue(refusal("repo:acme/.").contains("dots only"));
        assertTrue(refusal("repo:acme/...").contains("dots only"));
        assertTrue(refusal("repo:acme/%2E%2E").contains("percent-encoding"));
        assertTrue(refusal("repo:acme//x").contains("empty segment"));
        assertTrue(refusal("repo:acme/x/").contains("empty segment"));
        assertTrue(refusal("file://srv").contains("empty segment"));
        assertTrue(refusal("repo:acme\\..\\evil").contains("'\\'"));
        assertTrue(refusal("repo:acme/a b").contains("U+0020"));
        assertTrue(refusal("repo:acme/\u00e9").contains("U+00E9"));
        assertTrue(refusal("repo:acme/x:y").contains("':' only separates"));
        assertTrue(refusal("repo:acme/a;b").contains("not allowed in a segment"));
        assertTrue(refusal("repo:").contains("empty path"));
        assertTrue(refusal("repo:/").contains("empty path"));
        assertTrue(refusal("acme/widgets").contains("no type"));
        assertTrue(refusal("Repo:acme").contains("type"));
        assertTrue(refusal("*:acme").contains("type"));
        assertTrue(refusal("").contains("empty"));
        assertTrue(refusal("repo:" + "a".repeat(1020)).contains("at most 1024"));
    }

    @Test
    void messagesEscapeControlCharacters() {
        String message = refusal("repo:acme/x\nrepo:evil/y");
        assertFalse(message.contains("\n"), message);
        assertTrue(message.contains("'repo:acme/x\\u000arepo:evil/y'"), message);
        assertTrue(message.contains("U+000A at index 11"), message);
    }

    @Test
    void wildcardsAreWholeSegments() {
        assertTrue(refusal("repo:acme/widget-*").contains("whole segment"));
        assertTrue(refusal("repo:acme/**/x").contains("last segment"));
        assertTrue(refusal("*").contains("for every resource write **"));
        assertTrue(matches("repo:acme/*", "repo:acme/widgets"));
        assertFalse(matches("repo:acme/*", "repo:acme/widgets/issues"), "* is exactly one segment");
        assertFalse(matches("repo:acme/*", "repo:acme"));
        assertTrue(matches("repo:acme/**", "repo:acme/widgets"));
        assertTrue(matches("repo:acme/**", "repo:acme/widgets/issues/7"));
        assertFalse(matches("repo:acme/**", "repo:acme"), "** is one or more segments");
        assertFalse(matches("repo:acme/**", "repo:acmex/y"));
        assertTrue(matches("repo:*/widgets", "repo:acme/widgets"));
        assertTrue(matches("**", "anything:at/all"));
        assertFalse(matches("repo:acme/*", "repo:acme/*"), "a pattern is not a resource; covers() compares patterns");
    }

    @Test
    void literalsAreLiteralAndCaseSensitive() {
        assertTrue(matches("repo:a.b/x", "repo:a.b/x"));
        assertFalse(matches("repo:a.b/x", "repo:aXb/x"), "a dot is a dot, not a regex wildcard");
        assertFalse(matches("repo:acme/x", "repo:ACME/x"));
        assertFalse(matches("queue:jobs", "queue:jobs2"));
        assertFalse(matches("file:/srv/x", "file:srv/x"), "a rooted path is not a relative one");
        assertFalse(matches("repo:acme/x", "ticket:acme/x"));
    }

    @Test
    void coversComparesPatterns() {
        assertTrue(covers("repo:acme/**", "repo:acme/*"));
        assertTrue(covers("repo:acme/**", "repo:acme/*/issues/**"));
        assertTrue(covers("repo:acme/*", "repo:acme/widgets"));
        assertTrue(covers("repo:*/widgets", "repo:acme/widgets"));
        assertTrue(covers("**", "repo:acme/**"));
        assertTrue(covers("repo:acme/*", "repo:acme/*"));
        assertFalse(covers("repo:acme/*", "repo:acme/**"), "one segment does not cover any depth");
        assertFalse(covers("repo:acme/widgets", "repo:acme/*"));
        assertFalse(covers("repo:acme/*/x", "repo:acme/**"));
        assertFalse(covers("repo:acme/**", "repo:**"));
        assertFalse(covers("repo:**", "**"));
        assertFalse(covers("repo:acme/x/**", "repo:acme/**"));
    }

    @Test
    void aPatternHasOneSpelling() {
        ResourcePattern p = ResourcePattern.parse("file:/srv/public/*");
        assertEquals("file:/srv/public/*", p.toString());
        assertEquals(p, ResourcePattern.parse("file:/srv/public/*"));
        assertFalse(p.isConcrete());
        assertTrue(ResourcePattern.parse("file:/srv/public/index.html").isConcrete());
        assertFalse(ResourcePattern.parse("**").isConcrete());
    }
}
