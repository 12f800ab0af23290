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

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;

import static dev.signet.verifier.VectorWriter.AUDIENCE;
import static dev.signet.verifier.VectorWriter.ISSUER;
import static dev.signet.verifier.VectorWriter.NOW;
import static dev.signet.verifier.VectorWriter.claims;
import static dev.signet.verifier.VectorWriter.token;

/**
 * Writes vectors/status-vectors.json (run with {@code -Dsignet.vectors.write=true}): tokens with {@code status}
 * claims and the status list tokens a verifier would fetch for them ({@code status_lists}: uri to body; any other
 * uri answers 404). {@link VerifierVectorsTest} runs it.
 */
@EnabledIfSystemProperty(named = "signet.vectors.write", matches = "true")
class StatusVectorWriter {

    static final String LISTS = ISSUER + "/v1/status-lists/";

    @Test
    void write() throws Exception {
        ECKey issuerKey = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        byte[] bits = new byte[128];
        bits[0] = 0b0000_1000; // idx 3 revoked
        bits[2] = 0b0000_0001; // idx 16 revoked
        Map<String, Object> lists = new LinkedHashMap<>();
        lists.put(LISTS + "r1-0", list(issuerKey, LISTS + "r1-0", bits, NOW + 3600));
        lists.put(LISTS + "forged", list(stranger, LISTS + "forged", new byte[128], NOW + 3600));
        lists.put(LISTS + "expired", list(issuerKey, LISTS + "expired", new byte[128], NOW - 1));
        lists.put(LISTS + "moved", list(issuerKey, LISTS + "r1-0", new byte[128], NOW + 3600));

        VectorWriter v = new VectorWriter();
        v.add("status entry 0 (valid)", token(issuerKey, "at+jwt", status(LISTS + "r1-0", 2)), "repo:acme/widgets",
                "read", null, "allow", "ok");
        v.add("status entry 1 (revoked)", token(issuerKey, "at+jwt", status(LISTS + "r1-0", 3)), "repo:acme/widgets",
                "read", null, "deny", "revoked");
        String child = token(issuerKey, "at+jwt", new JWTClaimsSet.Builder(status(LISTS + "r1-0", 16))
                .claim("act", Map.of("sub", "helper-1")).claim("signet_parent_jti", "parent-jti").claim("signet_depth", 1)
                .build());
        v.add("delegated token whose own entry is revoked (its parent was)", child, "repo:acme/widgets", "read", null,
                "deny", "revoked");
        v.add("revoked and expired: expired is checked first", token(issuerKey, "at+jwt",
                new JWTClaimsSet.Builder(status(LISTS + "r1-0", 3)).expirationTime(new Date((NOW - 120) * 1000)).build()),
                "repo:acme/widgets", "read", null, "deny", "expired");
        v.add("list not published (404)", token(issuerKey, "at+jwt", status(LISTS + "gone", 2)), "repo:acme/widgets",
                "read", null, "deny", "status_unavailable");
        v.add("list signed by a stranger under a published kid", token(issuerKey, "at+jwt", status(LISTS + "forged", 2)),
                "repo:acme/widgets", "read", null, "deny", "status_unavailable");
        v.add("list past its exp", token(issuerKey, "at+jwt", status(LISTS + "expired", 2)), "repo:acme/widgets",
                "read", null, "deny", "status_unavailable");
        v.add("list whose sub is another uri", token(issuerKey, "at+jwt", status(LISTS + "moved", 2)),
                "repo:acme/widgets", "read", null, "deny", "status_unavailable");
        v.add("list uri outside the issuer", token(issuerKey, "at+jwt", status("https://evil.example/v1/status-lists/r1-0", 2)),
                "repo:acme/widgets", "read", null, "deny", "bad_status");
        v.add("idx past the end of the list", token(issuerKey, "at+jwt", status(LISTS + "r1-0", 1024)),
                "repo:acme/widgets", "read", null, "deny", "bad_status");
        v.add("status claim of the wrong shape", token(issuerKey, "at+jwt",
                claims().claim("status", Map.of("status_list", Map.of("idx", "3", "uri", LISTS + "r1-0"))).build()),
                "repo:acme/widgets", "read", null, "deny", "bad_status");
        v.add("no status claim: nothing to revoke", token(issuerKey, "at+jwt", claims().build()), "repo:acme/widgets",
                "read", null, "allow", "ok");

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("description", "Signet status list conformance (draft-ietf-oauth-status-list): as verifier-vectors.json,"
                + " and the token's status entry is checked in the status list fetched from status_lists[uri] (any other"
                + " uri: HTTP 404), verified with jwks; see verifier/README.md");
        out.put("issuer", ISSUER);
        out.put("audience", AUDIENCE);
        out.put("now", NOW);
        out.put("jwks", new JWKSet(issuerKey.toPublicJWK()).toJSONObject(true));
        out.put("status_lists", lists);
        out.put("cases", v.cases);
        Files.writeString(Path.of("vectors/status-vectors.json"), JSONObjectUtils.toJSONString(out) + "\n");
    }

    static JWTClaimsSet status(String uri, int idx) {
        return claims().claim("status", Map.of("status_list", Map.of("idx", idx, "uri", uri))).build();
    }

    static String list(ECKey key, String sub, byte[] bits, long exp) throws Exception {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        d.setInput(bits);
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!d.finished()) {
            z.write(buf, 0, d.deflate(buf));
        }
        d.end();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(new JOSEObjectType("statuslist+jwt")).build(), new JWTClaimsSet.Builder().subject(sub)
                .issueTime(new Date((NOW - 30) * 1000)).expirationTime(new Date(exp * 1000)).claim("ttl", 60)
                .claim("status_list", Map.of("bits", 1, "lst", Base64.getUrlEncoder().withoutPadding()
                        .encodeToString(z.toByteArray()))).build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }
}
