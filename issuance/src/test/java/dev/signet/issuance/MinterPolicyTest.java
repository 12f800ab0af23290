package dev.signet.issuance;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MinterPolicyTest {

    final MinterPolicy policy = new MinterPolicy(Set.of("https://ci.example"), List.of("repo:acme/*", "queue:jobs"),
            Set.of("read"), Duration.ofMinutes(10));

    TokenRequest req(String aud, String resource, String action, long ttl) {
        return new TokenRequest("s", aud, Duration.ofSeconds(ttl), List.of(new ScopeItem(resource, List.of(action))), Optional.empty());
    }

    SignetException.Code refusal(TokenRequest r) {
        return assertThrows(SignetException.class, () -> policy.check(r)).code();
    }

    @Test
    void allowsOnlyWhatItLists() {
        assertDoesNotThrow(() -> policy.check(req("https://ci.example", "repo:acme/widgets", "read", 600)));
        assertDoesNotThrow(() -> policy.check(req("https://ci.example", "queue:jobs", "read", 1)));
        assertEquals(SignetException.Code.PERMISSION_DENIED, refusal(req("https://ci.example.evil", "queue:jobs", "read", 60)));
        assertEquals(SignetException.Code.PERMISSION_DENIED, refusal(req("https://ci.example", "repo:other/widgets", "read", 60)));
        assertEquals(SignetException.Code.PERMISSION_DENIED, refusal(req("https://ci.example", "queue:jobs2", "read", 60)));
        assertEquals(SignetException.Code.PERMISSION_DENIED, refusal(req("https://ci.example", "queue:jobs", "write", 60)));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, refusal(req("https://ci.example", "queue:jobs", "read", 601)));
    }

    boolean allows(MinterPolicy p, String resource) {
        try {
            p.check(req("https://ci.example", resource, "read", 60));
            return true;
        } catch (SignetException e) {
            return false;
        }
    }

    MinterPolicy resources(String... patterns) {
        return new MinterPolicy(Set.of("https://ci.example"), List.of(patterns), Set.of("read"), Duration.ofMinutes(10));
    }

    @Test
    void patternsQuoteEverythingButTheWildcards() {
        assertTrue(allows(resources("repo:a.b/*"), "repo:a.b/x"));
        assertFalse(allows(resources("repo:a.b/*"), "repo:aXb/x"), "a dot is a dot, not a regex wildcard");
        // Narrowed by the grammar: "every resource" is ** (a lone * is refused at load), and * is a whole segment,
        // so the old globs "*" and "a*c" are refused when the policy is built.
        assertTrue(allows(resources("**"), "anything:at/all"));
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> resources("*")).code());
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> resources("repo:a*c")).code());
        assertTrue(allows(resources("repo:*"), "repo:abbbc"));
        assertFalse(allows(resources("repo:*"), "repo:acme/widgets"), "* is one segment; repo:** is any depth");
        assertTrue(allows(resources("repo:**"), "repo:acme/widgets"));
    }

    @Test
    void aTokenResourceMayBeAPatternThePolicyCovers() {
        MinterPolicy p = resources("repo:acme/**");
        assertTrue(allows(p, "repo:acme/*"));
        assertTrue(allows(p, "repo:acme/widgets/**"));
        assertFalse(allows(p, "repo:**"));
        assertFalse(allows(p, "**"));
        assertFalse(allows(resources("repo:acme/*"), "repo:acme/**"), "one segment does not cover any depth");
    }

    @Test
    void policiesOutsideTheGrammarAreRefusedWhenBuilt() {
        for (String bad : List.of("repo:acme/../x", "repo:acme/%2e", "repo:acme//x", "repo:acme/x\n", "file:/srv/public/")) {
            SignetException e = assertThrows(SignetException.class, () -> resources(bad), bad);
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        }
        for (String bad : List.of("https://*.example.com/", "https://API.example.com", "https://a.example.com:443",
                "https://*", "https://api.*.com", "api.example.com")) {
            SignetException e = assertThrows(SignetException.class, () -> new MinterPolicy(Set.of(bad),
                    List.of("**"), Set.of("read"), Duration.ofMinutes(1)), bad);
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("a minter's policy: audience '"), e.getMessage());
        }
    }

    @Test
    void aTokenAudienceIsOneCanonicalAudience() {
        MinterPolicy p = new MinterPolicy(Set.of("*"), List.of("**"), Set.of("read"), Duration.ofMinutes(10));
        assertDoesNotThrow(() -> p.check(req("http://localhost:8080", "repo:x", "read", 60)));
        for (String aud : List.of("*", "https://*.example.com", "https://API.example.com", "https://api.example.com/",
                "not a url")) {
            SignetException e = assertThrows(SignetException.class, () -> p.check(req(aud, "repo:x", "read", 60)), aud);
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code(), aud);
            assertTrue(e.getMessage().startsWith("'aud'"), e.getMessage());
        }
    }

    @Test
    void mintersAreFoundByCredentialAndSecretsStayHidden() {
        Minter a = new Minter("a", CredentialHash.of("secret-a"), policy);
        Minter b = new Minter("b", CredentialHash.of("secret-b"), policy);
        Minters minters = new Minters(List.of(a, b));
        assertEquals("b", minters.authenticate("secret-b").name());
        assertEquals(SignetException.Code.UNAUTHENTICATED,
                assertThrows(SignetException.class, () -> minters.authenticate("secret-c")).code());
        assertEquals(SignetException.Code.UNAUTHENTICATED,
                assertThrows(SignetException.class, () -> minters.authenticate(null)).code());
        assertFalse(a.toString().contains(CredentialHash.of("secret-a").text().substring(7)));
        assertEquals("CredentialHash[redacted]", a.credential().toString());
        assertThrows(SignetException.class, () -> new Minters(List.of(a, new Minter("a", CredentialHash.of("x"), policy))));
        assertThrows(SignetException.class, () -> new Minters(List.of(a, new Minter("c", CredentialHash.of("secret-a"), policy))));
    }

    @Test
    void credentialHashesParseTheirStoredForm() {
        CredentialHash h = CredentialHash.of("s3cret");
        assertTrue(CredentialHash.parse(h.text()).matches("s3cret"));
        assertFalse(CredentialHash.parse(h.text()).matches("s3cret "));
        assertThrows(SignetException.class, () -> CredentialHash.parse("s3cret"));
        assertThrows(SignetException.class, () -> CredentialHash.parse("sha256:" + "zz".repeat(32)));
    }
}
