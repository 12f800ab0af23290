package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes vectors/verifier-vectors.json (run with {@code -Dsignet.vectors.write=true}); the file is committed and
 * {@link VerifierVectorsTest} runs it. Fresh keys each time, so rewriting changes every token.
 */
@EnabledIfSystemProperty(named = "signet.vectors.write", matches = "true")
class VectorWriter {

    static final String ISSUER = "https://signet.example";
    static final String AUDIENCE = "https://api.example.com";
    static final String URI = "https://api.example.com/repos/acme/widgets";
    static final long NOW = 1_795_000_000L;

    ECKey issuerKey;
    ECKey agentKey;
    ECKey otherKey;
    List<Map<String, Object>> cases = new ArrayList<>();

    @Test
    void write() throws Exception {
        issuerKey = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        agentKey = new ECKeyGenerator(Curve.P_256).generate();
        otherKey = new ECKeyGenerator(Curve.P_256).generate();
        String jkt = agentKey.computeThumbprint().toString();

        String bearer = token(issuerKey, "at+jwt", claims().build());
        add("bearer token, granted resource and action", bearer, "repo:acme/widgets", "read", null, "allow", "ok");
        add("action not granted", bearer, "repo:acme/widgets", "delete", null, "deny", "action_not_granted");
        add("one-segment pattern does not cover two segments", bearer, "repo:acme/widgets/issues", "read", null, "deny", "resource_not_granted");
        add("dot-segment resource never matches", bearer, "repo:acme/../secrets", "read", null, "deny", "resource_not_granted");
        add("expired", token(issuerKey, "at+jwt", claims().expirationTime(new Date((NOW - 120) * 1000)).build()),
                "repo:acme/widgets", "read", null, "deny", "expired");
        add("not yet valid", token(issuerKey, "at+jwt", claims().notBeforeTime(new Date((NOW + 120) * 1000)).build()),
                "repo:acme/widgets", "read", null, "deny", "not_yet_valid");
        add("another audience", token(issuerKey, "at+jwt", claims().audience("https://evil.example.com").build()),
                "repo:acme/widgets", "read", null, "deny", "wrong_audience");
        add("another issuer", token(issuerKey, "at+jwt", claims().issuer("https://evil.example").build()),
                "repo:acme/widgets", "read", null, "deny", "wrong_issuer");
        add("unknown kid", token(new ECKey.Builder(issuerKey).keyID("k9").build(), "at+jwt", claims().build()),
                "repo:acme/widgets", "read", null, "deny", "unknown_kid");
        add("signed by a stranger under a published kid", token(stranger, "at+jwt", claims().build()),
                "repo:acme/widgets", "read", null, "deny", "bad_signature");
        String[] p = bearer.split("\\.");
        String tampered = p[0] + "." + com.nimbusds.jose.util.Base64URL.encode(
                claims().claim("authorization_details", List.of(detail("repo:acme/**", "read", "write"))).build().toString()) + "." + p[2];
        add("claims altered after signing", tampered, "repo:acme/widgets", "write", null, "deny", "bad_signature");
        add("typ JWT is not an access token", token(issuerKey, "JWT", claims().build()), "repo:acme/widgets", "read", null, "deny", "wrong_typ");

        String bound = token(issuerKey, "at+jwt", claims().claim("cnf", Map.of("jkt", jkt)).build());
        add("bound token without a DPoP proof", bound, "repo:acme/widgets", "read", null, "deny", "dpop_required");
        add("bound token with a proof by its key", bound, "repo:acme/widgets", "read",
                proof(agentKey, "GET", URI, bound, "p1"), "allow", "ok");
        add("proof over another token (ath)", bound, "repo:acme/widgets", "read",
                proof(agentKey, "GET", URI, bearer, "p2"), "deny", "dpop_ath");
        add("proof for another URL (htu)", bound, "repo:acme/widgets", "read",
                proof(agentKey, "GET", "https://api.example.com/other", bound, "p3"), "deny", "dpop_htu");
        add("proof for another method (htm)", bound, "repo:acme/widgets", "read",
                proof(agentKey, "POST", URI, bound, "p4"), "deny", "dpop_htm");
        add("proof by a key the token is not bound to", bound, "repo:acme/widgets", "read",
                proof(otherKey, "GET", URI, bound, "p5"), "deny", "dpop_invalid");

        String child = token(issuerKey, "at+jwt", claims().claim("cnf", Map.of("jkt", jkt))
                .claim("act", Map.of("sub", "helper-2", "act", Map.of("sub", "helper-1")))
                .claim("signet_parent_jti", "parent-jti").claim("signet_depth", 2)
                .claim("authorization_details", List.of(detail("repo:acme/widgets", "read"))).build());
        Map<String, Object> c = add("delegated bound token, depth 2", child, "repo:acme/widgets", "read",
                proof(agentKey, "GET", URI, child, "p6"), "allow", "ok");
        @SuppressWarnings("unchecked")
        Map<String, Object> expected = (Map<String, Object>) c.get("expected");
        expected.put("actors", List.of("helper-2", "helper-1"));
        expected.put("depth", 2);
        add("depth that does not match act", token(issuerKey, "at+jwt", claims()
                        .claim("act", Map.of("sub", "helper-1")).claim("signet_parent_jti", "x").claim("signet_depth", 2).build()),
                "repo:acme/widgets", "read", null, "deny", "bad_claims");

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("description", "Signet verifier conformance: verify token against jwks at now (skew 0s, DPoP iat window 60s) for issuer/audience, then authorize request; see verifier/README.md");
        out.put("issuer", ISSUER);
        out.put("audience", AUDIENCE);
        out.put("now", NOW);
        out.put("jwks", new JWKSet(issuerKey.toPublicJWK()).toJSONObject(true));
        out.put("cases", cases);
        Files.writeString(Path.of("vectors/verifier-vectors.json"), JSONObjectUtils.toJSONString(out) + "\n");
    }

    Map<String, Object> add(String name, String token, String resource, String action, String dpop, String decision, String reason) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("resource", resource);
        request.put("action", action);
        request.put("method", "GET");
        request.put("uri", URI);
        if (dpop != null) {
            request.put("dpop", dpop);
        }
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("decision", decision);
        expected.put("reason", reason);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("token", token);
        c.put("request", request);
        c.put("expected", expected);
        cases.add(c);
        return c;
    }

    static Map<String, Object> detail(String resource, String... actions) {
        return Map.of("type", "signet_resource", "identifier", resource, "actions", List.of(actions));
    }

    static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).subject("agent-7").audience(AUDIENCE).claim("client_id", "ci")
                .issueTime(new Date((NOW - 60) * 1000)).notBeforeTime(new Date((NOW - 60) * 1000))
                .expirationTime(new Date((NOW + 540) * 1000)).jwtID(UUID.randomUUID().toString())
                .claim("authorization_details", List.of(detail("repo:acme/*", "read", "write")));
    }

    static String token(ECKey key, String typ, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(new JOSEObjectType(typ)).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    static String proof(ECKey key, String method, String uri, String token, String jti) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK()).build(), new JWTClaimsSet.Builder().claim("htm", method).claim("htu", uri)
                .issueTime(new Date(NOW * 1000)).jwtID(jti).claim("ath", DpopVerifier.ath(token)).build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }
}
