package dev.signet.issuance;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The path and URL tricks issue 11 found granted by the old string globs; each is refused now. */
class PolicyAttackTest {

    final MinterPolicy policy = new MinterPolicy(Set.of("https://*.example.com"),
            List.of("repo:acme/*", "file:/srv/public/*"), Set.of("read"), Duration.ofMinutes(10));

    Code refusal(String aud, String resource) {
        TokenRequest r = new TokenRequest("s", aud, Duration.ofSeconds(60),
                List.of(new ScopeItem(resource, List.of("read"))), Optional.empty());
        return assertThrows(SignetException.class, () -> policy.check(r), aud + " " + resource).code();
    }

    Code parseRefusal(String aud, String resource) {
        Map<String, Object> body = Map.of("sub", "s", "aud", aud, "ttl", 60,
                "scope", List.of(Map.of("resource", resource, "actions", List.of("read"))));
        return assertThrows(SignetException.class, () -> TokenRequests.parse(body), aud + " " + resource).code();
    }

    @Test
    void theLegitimateRequestsStillPass() {
        TokenRequest ok = new TokenRequest("s", "https://git.example.com", Duration.ofSeconds(60),
                List.of(new ScopeItem("repo:acme/widgets", List.of("read")),
                        new ScopeItem("file:/srv/public/index.html", List.of("read"))), Optional.empty());
        assertDoesNotThrow(() -> policy.check(ok));
    }

    @Test
    void dotSegmentsPercentEncodingAndControlCharactersInResourcesAre422() {
        for (String resource : List.of("repo:acme/../evil/secret", "repo:acme/%2e%2e/evil", "repo:acme/x\nrepo:evil/y",
                "file:/srv/public/../../../etc/shadow")) {
            assertEquals(Code.INVALID_ARGUMENT, refusal("https://git.example.com", resource), resource);
            assertEquals(Code.INVALID_ARGUMENT, parseRefusal("https://git.example.com", resource), resource);
        }
    }

    @Test
    void audienceTricksAreRefused() {
        // A valid URL whose host is evil.com: outside the policy.
        assertEquals(Code.PERMISSION_DENIED, refusal("https://evil.com/.example.com", "repo:acme/widgets"));
        // Fragments, userinfo and empty labels are not audiences at all.
        for (String aud : List.of("https://evil.com#.example.com", "https://user@evil.com/x.example.com",
                "https://.example.com")) {
            assertEquals(Code.INVALID_ARGUMENT, refusal(aud, "repo:acme/widgets"), aud);
            assertEquals(Code.INVALID_ARGUMENT, parseRefusal(aud, "repo:acme/widgets"), aud);
        }
    }
}
