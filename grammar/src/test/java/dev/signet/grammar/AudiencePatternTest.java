package dev.signet.grammar;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudiencePatternTest {

    static boolean matches(String pattern, String audience) {
        return AudiencePattern.parse(pattern).matches(audience);
    }

    static boolean covers(String a, String b) {
        return AudiencePattern.parse(a).covers(AudiencePattern.parse(b));
    }

    static String refusal(String text) {
        return assertThrows(GrammarException.class, () -> AudiencePattern.parse(text), text).getMessage();
    }

    @Test
    void theIssueAttacksAreRefused() {
        for (String attack : List.of("https://evil.com/.example.com", "https://evil.com#.example.com",
                "https://user@evil.com/x.example.com", "https://.example.com")) {
            assertFalse(matches("https://*.example.com", attack), attack);
        }
        assertTrue(AudiencePattern.parse("https://evil.com/.example.com").isConcrete(), "a URL on evil.com; not ours");
        assertTrue(refusal("https://evil.com#.example.com").contains("fragment"));
        assertTrue(refusal("https://user@evil.com/x.example.com").contains("userinfo"));
        assertTrue(refusal("https://.example.com").contains("empty host label"));
    }

    @Test
    void theWildcardIsOneWholeLeftmostLabel() {
        assertTrue(matches("https://*.example.com", "https://api.example.com"));
        assertFalse(matches("https://*.example.com", "https://a.b.example.com"), "* is exactly one label");
        assertFalse(matches("https://*.example.com", "https://example.com"));
        assertFalse(matches("https://*.example.com", "https://api.example.com.evil.com"));
        assertFalse(matches("https://*.example.com", "https://apiexample.com"));
        assertFalse(matches("https://*.example.com", "http://api.example.com"), "the scheme is compared");
        assertFalse(matches("https://*.example.com", "https://api.example.com:8443"), "the port is compared");
        assertFalse(matches("https://*.example.com", "https://api.example.com/x"), "the path is compared");
        assertTrue(matches("https://*.example.com:8443/v1", "https://api.example.com:8443/v1"));
        assertTrue(refusal("https://a.*.example.com").contains("leftmost"));
        assertTrue(refusal("https://api*.example.com").contains("leftmost"));
        assertTrue(refusal("https://*.com").contains("two labels"));
        assertTrue(refusal("https://*").contains("two labels"));
        assertTrue(refusal("https://api.example.com/*").contains("path"));
        assertTrue(matches("*", "https://anything.example"));
        assertFalse(matches("*", "https://Anything.example"), "even * matches only canonical audiences");
    }

    @Test
    void nonCanonicalFormsAreRefusedWithTheCanonicalSpelling() {
        assertTrue(refusal("HTTPS://api.example.com").contains("write 'https://api.example.com'"));
        assertTrue(refusal("https://API.example.com").contains("write 'https://api.example.com'"));
        assertTrue(refusal("https://api.example.com:443/v1").contains("write 'https://api.example.com/v1'"));
        assertTrue(refusal("http://api.example.com:80").contains("default port"));
        assertTrue(refusal("https://api.example.com/").contains("empty segment"));
        assertTrue(refusal("https://api.example.com.").contains("empty host label"));
        assertTrue(refusal("https://api..example.com").contains("empty host label"));
        assertTrue(refusal("https://api.example.com:08443").contains("leading zeros"));
        assertTrue(refusal("https://api.example.com:").contains("port"));
        assertTrue(refusal("https://api.example.com:70000").contains("port"));
        assertTrue(refusal("https://api.example.com/a/../b").contains("dots only"));
        assertTrue(refusal("https://api.example.com/a%2Fb").contains("percent-encoding"));
        assertTrue(refusal("https://api.example.com?x=1").contains("query"));
        assertTrue(refusal("https://[::1]:8443").contains("IPv6"));
        assertTrue(refusal("https://0x7f.0.0.1").contains("dotted-quad"));
        assertTrue(refusal("https://127.1").contains("dotted-quad"));
        assertTrue(refusal("https://127.0.0.01").contains("dotted-quad"));
        assertTrue(refusal("https://-api.example.com").contains("host label"));
        assertTrue(refusal("https://api_x.example.com").contains("host label"));
        assertTrue(refusal("urn:example:aud").contains("not an http or https URL"));
        assertTrue(refusal("ftp://api.example.com").contains("only http and https"));
        assertTrue(refusal("https://api.example.com\n").contains("U+000A"));
    }

    @Test
    void canonicalAudiencesParse() {
        for (String ok : List.of("https://api.example.com", "http://localhost:8080", "http://127.0.0.1:8080",
                "https://xn--bcher-kva.example/v1/tokens", "https://ci.example")) {
            AudiencePattern a = AudiencePattern.parse(ok);
            assertTrue(a.isConcrete(), ok);
            assertEquals(ok, a.toString());
            assertTrue(a.matches(ok), ok);
        }
        assertFalse(matches("https://ci.example", "https://ci.example.evil"));
    }

    @Test
    void coversComparesPatterns() {
        assertTrue(covers("*", "https://*.example.com"));
        assertTrue(covers("https://*.example.com", "https://*.example.com"));
        assertTrue(covers("https://*.example.com", "https://api.example.com"));
        assertFalse(covers("https://api.example.com", "https://*.example.com"));
        assertFalse(covers("https://*.example.com", "https://*.a.example.com"), "one label, not any depth");
        assertFalse(covers("https://*.example.com", "*"));
    }
}
