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

/** Runs every case of vectors/verifier-vectors.json: decision, reason, and the act chain where given. */
public class VerifierVectorsTest {

    /** Runs the vectors at {@code file}; the daemon's tests call this too, so both read one file. */
    @SuppressWarnings("unchecked")
    public static int run(Path file) throws Exception {
        Map<String, Object> v = JSONObjectUtils.parse(Files.readString(file));
        JWKSet jwks = JWKSet.parse((Map<String, Object>) v.get("jwks"));
        Clock clock = Clock.fixed(Instant.ofEpochSecond(((Number) v.get("now")).longValue()), ZoneOffset.UTC);
        List<Map<String, Object>> cases = (List<Map<String, Object>>) v.get("cases");
        Map<String, Object> lists = (Map<String, Object>) v.get("status_lists");
        for (Map<String, Object> c : cases) {
            TokenVerifier verifier = new TokenVerifier((String) v.get("issuer"), (String) v.get("audience"),
                    jwks::getKeyByKeyId, clock, Duration.ZERO,
                    new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 100)));
            if (lists != null) {
                verifier = verifier.withStatus(new StatusListCache((String) v.get("issuer"), jwks::getKeyByKeyId,
                        uri -> lists.get(uri.toString()) instanceof String body
                                ? new StatusListCache.Response(200, body, Optional.empty())
                                : new StatusListCache.Response(404, "", Optional.empty()),
                        clock, Duration.ofSeconds(60), Duration.ZERO));
            }
            Map<String, Object> r = (Map<String, Object>) c.get("request");
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            String token = (String) c.get("token");
            Decision d = verifier.authorize(token,
                    new TokenVerifier.Request((String) r.get("method"), (String) r.get("uri"), (String) r.get("dpop")),
                    (String) r.get("resource"), (String) r.get("action"));
            String name = (String) c.get("name");
            assertEquals(expected.get("decision"), d.allowed() ? "allow" : "deny", name + ": " + d);
            assertEquals(expected.get("reason"), d.reason(), name + ": " + d);
            if (expected.containsKey("actors")) {
                VerifiedToken t = verifier.verify(token);
                assertEquals(expected.get("actors"), t.actors(), name);
                assertEquals(((Number) expected.get("depth")).intValue(), t.depth(), name);
            }
        }
        return cases.size();
    }

    @Test
    void everyVectorReachesItsDecision() throws Exception {
        assertTrue(run(Path.of("vectors/verifier-vectors.json")) >= 20);
    }

    @Test
    void everyStatusVectorReachesItsDecision() throws Exception {
        assertTrue(run(Path.of("vectors/status-vectors.json")) >= 12);
    }
}
