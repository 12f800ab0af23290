package dev.signet.issuance;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.grammar.AudiencePattern;
import dev.signet.grammar.ResourcePattern;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzz target for the token request body through issuance (RELIABILITY.md): any JSON body goes through
 * {@link TokenRequests#parse} and {@link MinterPolicy#check} of a fixed minter. It is either refused with a
 * SignetException whose code is a client error (never INTERNAL, never another exception), or accepted, and then
 * it is inside the policy as checked here independently: ttl positive and at most the maximum, one concrete
 * audience a policy pattern matches, every resource covered by a policy pattern, every action allowed, no
 * reserved claim. Inputs under src/test/resources/.../TokenRequestFuzzTestInputs run in the normal suite.
 */
class TokenRequestFuzzTest {

    static final Duration MAX_TTL = Duration.ofMinutes(5);
    static final List<String> AUDIENCES = List.of("https://api.example.com", "https://*.svc.example.com");
    static final List<String> RESOURCES = List.of("repo:acme/*", "file:/srv/public/**");
    static final Set<String> ACTIONS = Set.of("read", "list");
    static final MinterPolicy POLICY = new MinterPolicy(Set.copyOf(AUDIENCES), RESOURCES, ACTIONS, MAX_TTL);
    static final Set<Code> CLIENT_ERRORS = Set.of(Code.MALFORMED, Code.INVALID_ARGUMENT, Code.PERMISSION_DENIED,
            Code.PAYLOAD_TOO_LARGE);

    @FuzzTest(maxDuration = "20s")
    void tokenRequest(byte[] data) {
        Map<String, Object> body;
        try {
            body = JSONObjectUtils.parse(new String(data, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            return; // not JSON: the HTTP layer's parser refuses it before issuance sees it
        }
        if (body == null) {
            return; // Nimbus reads a leading `null` as no object; the HTTP layer refuses a body that is not an object
        }
        TokenRequest request;
        try {
            request = TokenRequests.parse(body);
            POLICY.check(request);
        } catch (SignetException e) {
            assertTrue(CLIENT_ERRORS.contains(e.code()), () -> "refused with " + e.code() + ": " + e.getMessage());
            return;
        }
        assertInPolicy(body, request);
    }

    /** The valid seeds are accepted, so the in-policy assertions above are reached, not vacuous. */
    @Test
    void validSeedsAreAccepted() throws IOException, ParseException {
        for (String name : List.of("valid", "valid-wildcard-aud", "valid-bound")) {
            try (InputStream in = getClass().getResourceAsStream("TokenRequestFuzzTestInputs/tokenRequest/" + name)) {
                Map<String, Object> body = JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                TokenRequest request = TokenRequests.parse(body);
                POLICY.check(request);
                assertInPolicy(body, request);
            }
        }
    }

    static void assertInPolicy(Map<String, Object> body, TokenRequest request) {
        for (String reserved : TokenRequests.RESERVED) {
            assertFalse(body.containsKey(reserved), () -> "accepted reserved claim " + reserved);
        }
        assertTrue(request.ttl().isPositive() && request.ttl().compareTo(MAX_TTL) <= 0, () -> "ttl " + request.ttl());
        assertTrue(AUDIENCES.stream().anyMatch(a -> AudiencePattern.parse(a).matches(request.audience())),
                () -> "audience outside policy: " + request.audience());
        assertFalse(request.scope().isEmpty());
        for (ScopeItem item : request.scope()) {
            ResourcePattern resource = ResourcePattern.parse(item.resource());
            assertTrue(RESOURCES.stream().anyMatch(r -> ResourcePattern.parse(r).covers(resource)),
                    () -> "resource outside policy: " + item.resource());
            assertFalse(item.actions().isEmpty());
            for (String action : item.actions()) {
                if (!ACTIONS.contains(action)) {
                    fail("action outside policy: " + action);
                }
            }
        }
    }
}
