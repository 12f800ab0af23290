package dev.signet.verifier;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs every case of vectors/chain-vectors.json through {@link ChainVerifier}: decision, reason, actors, depth. */
public class ChainVectorsTest {

    /** Runs the chain vectors at {@code file}; the daemon's tests call this too, so both read one file. */
    @SuppressWarnings("unchecked")
    public static int run(Path file) throws Exception {
        Map<String, Object> v = JSONObjectUtils.parse(Files.readString(file));
        JWKSet jwks = JWKSet.parse((Map<String, Object>) v.get("jwks"));
        Clock clock = Clock.fixed(Instant.ofEpochSecond(((Number) v.get("now")).longValue()), ZoneOffset.UTC);
        String issuer = (String) v.get("issuer");
        Map<String, Object> lists = (Map<String, Object>) v.get("status_lists");
        List<Map<String, Object>> cases = (List<Map<String, Object>>) v.get("cases");
        for (Map<String, Object> c : cases) {
            StatusListCache status = new StatusListCache(issuer, jwks::getKeyByKeyId,
                    uri -> lists.get(uri.toString()) instanceof String body
                            ? new StatusListCache.Response(200, body, Optional.empty())
                            : new StatusListCache.Response(404, "", Optional.empty()),
                    clock, Duration.ofSeconds(60), Duration.ZERO);
            ChainVerifier verifier = new ChainVerifier(issuer, (String) v.get("audience"), jwks::getKeyByKeyId, clock,
                    Duration.ZERO, new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 100)), status::check);
            Map<String, Object> r = (Map<String, Object>) c.get("request");
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            String credential = (String) c.get("token");
            String name = (String) c.get("name");
            int repeat = r.get("repeat") instanceof Number n ? n.intValue() : 1;
            Decision d = null;
            for (int i = 0; i < repeat; i++) {
                if (d != null) {
                    assertTrue(d.allowed(), name + ": allowed before the replay: " + d);
                }
                d = verifier.authorize(credential,
                        new TokenVerifier.Request((String) r.get("method"), (String) r.get("uri"), (String) r.get("dpop")),
                        (String) r.get("resource"), (String) r.get("action"));
            }
            assertEquals(expected.get("decision"), d.allowed() ? "allow" : "deny", name + ": " + d);
            assertEquals(expected.get("reason"), d.reason(), name + ": " + d);
            if (expected.containsKey("actors")) {
                VerifiedChain chain = verifier.verify(credential);
                assertEquals(expected.get("actors"), chain.actors(), name);
                assertEquals(((Number) expected.get("depth")).intValue(), chain.depth(), name);
            }
        }
        return cases.size();
    }

    @Test
    void everyChainVectorReachesItsDecision() throws Exception {
        assertTrue(run(Path.of("vectors/chain-vectors.json")) >= 25);
    }
}
