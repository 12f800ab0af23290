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

    @Test
    void globsQuoteEverythingButTheStar() {
        assertTrue(MinterPolicy.globMatches("repo:a.b/*", "repo:a.b/x"));
        assertFalse(MinterPolicy.globMatches("repo:a.b/*", "repo:aXb/x"), "a dot is a dot, not a regex wildcard");
        assertTrue(MinterPolicy.globMatches("*", "anything"));
        assertTrue(MinterPolicy.globMatches("a*c", "abbbc"));
        assertFalse(MinterPolicy.globMatches("a*c", "abbbd"));
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
