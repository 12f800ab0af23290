package dev.signet.issuance;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cnf: {jkt}} in a request binds the token to the agent's key (RFC 9449); any other {@code cnf} is refused. */
class BoundTokenTest {

    @TempDir
    Path dir;

    static Map<String, Object> body(Object cnf) {
        Map<String, Object> b = new HashMap<>(Map.of("sub", "agent", "aud", "https://svc.example", "ttl", 60,
                "scope", List.of(Map.of("resource", "repo:a/b", "actions", List.of("read")))));
        if (cnf != null) {
            b.put("cnf", cnf);
        }
        return b;
    }

    @Test
    void aThumbprintIsCopiedIntoTheToken() throws Exception {
        String jkt = new ECKeyGenerator(Curve.P_256).generate().computeThumbprint().toString();
        TokenRequest request = TokenRequests.parse(body(Map.of("jkt", jkt)));
        assertEquals(jkt, request.boundJkt().orElseThrow());
        Instant now = Instant.parse("2026-11-23T10:00:00Z");
        var key = new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC()).generate(SigningAlgorithm.ES256);
        MintedToken t = new TokenIssuer("https://iss", Clock.fixed(now, ZoneOffset.UTC)).issue(key, "m", request, Instant.MAX);
        JWTClaimsSet claims = SignedJWT.parse(t.token()).getJWTClaimsSet();
        assertEquals(Map.of("jkt", jkt), claims.getJSONObjectClaim("cnf"));
        assertNull(claims.getClaim("act"));
        assertNull(claims.getClaim("signet_depth"));
    }

    @Test
    void aBoundTokenCarriesItsMintersDelegationCapForOfflineChains() throws Exception {
        String jkt = new ECKeyGenerator(Curve.P_256).generate().computeThumbprint().toString();
        var key = new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC()).generate(SigningAlgorithm.ES256);
        TokenIssuer issuer = new TokenIssuer("https://iss", Clock.systemUTC());
        JWTClaimsSet bound = SignedJWT.parse(issuer.issue(key, "m", TokenRequests.parse(body(Map.of("jkt", jkt))),
                Instant.MAX, null, null, 3).token()).getJWTClaimsSet();
        assertEquals(3L, bound.getClaim("signet_max_depth"));
        JWTClaimsSet bearer = SignedJWT.parse(issuer.issue(key, "m", TokenRequests.parse(body(null)), Instant.MAX,
                null, null, 3).token()).getJWTClaimsSet();
        assertNull(bearer.getClaim("signet_max_depth"), "an unbound token cannot root a chain");
        JWTClaimsSet undelegable = SignedJWT.parse(issuer.issue(key, "m", TokenRequests.parse(body(Map.of("jkt", jkt))),
                Instant.MAX, null, null, 0).token()).getJWTClaimsSet();
        assertNull(undelegable.getClaim("signet_max_depth"));
        assertEquals(0, Exchange.maxDepth(new MinterPolicy(java.util.Set.of("*"), List.of("**"), java.util.Set.of("read"),
                java.time.Duration.ofMinutes(5), new MinterPolicy.Delegation(false, 3, false))));
        assertEquals(2, Exchange.maxDepth(new MinterPolicy(java.util.Set.of("*"), List.of("**"), java.util.Set.of("read"),
                java.time.Duration.ofMinutes(5), new MinterPolicy.Delegation(true, 2, false))));
    }

    @Test
    void aBearerRequestHasNoCnf() throws Exception {
        assertTrue(TokenRequests.parse(body(null)).boundJkt().isEmpty());
    }

    @Test
    void everyOtherShapeOfCnfIsRefused() {
        String jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        for (Object cnf : List.of("x", Map.of("jkt", jkt, "x5t#S256", jkt), Map.of("jwk", Map.of("kty", "EC")),
                Map.of("jkt", jkt.substring(1)), Map.of("jkt", jkt + "A"), Map.of("jkt", jkt.replace('-', '+')),
                Map.of("jkt", jkt.substring(0, 42) + "t"), Map.of("jkt", 7))) {
            SignetException e = assertThrows(SignetException.class, () -> TokenRequests.parse(body(cnf)), cnf.toString());
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("cnf"), e.getMessage());
        }
    }

    @Test
    void chainClaimsStayReserved() {
        for (String claim : List.of("act", "signet_depth", "signet_parent_jti", "signet_max_depth", "signet_prev")) {
            Map<String, Object> b = body(null);
            b.put(claim, "x");
            SignetException e = assertThrows(SignetException.class, () -> TokenRequests.parse(b));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
        assertFalse(TokenRequests.RESERVED.contains("cnf"));
    }
}
