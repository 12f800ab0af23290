package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link CompactJws} and {@link PlainJson} read only what Nimbus reads, to the values Nimbus reads: on every input
 * here (hand-made edge cases, and random mutations of real headers and payloads), whenever the direct reading
 * succeeds Nimbus' {@code JWSObject.parse} / {@code JSONObjectUtils.parse} succeeds too with equal alg, typ, kid,
 * header key and payload; whatever it declines is left to Nimbus, so refusals stay Nimbus's. And the shapes Signet
 * and DPoP clients write are read directly (else the cut would silently not apply).
 */
class CompactJwsTest {

    static final ECKey KEY = TokenVerifierFuzzTest.ISSUER_KEY;
    static final String X = KEY.getX().toString();
    static final String Y = KEY.getY().toString();
    static final String JWK_JSON = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + X + "\",\"y\":\"" + Y + "\"}";
    static final String PROOF_HEADER = "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":" + JWK_JSON + "}";
    static final String TOKEN_HEADER = "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}";
    static final String CLAIMS = "{\"iss\":\"https://signet.example\",\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
            + "\"client_id\":\"m\",\"iat\":1767225600,\"nbf\":1767225600,\"exp\":1767229200,\"jti\":\"abc\","
            + "\"cnf\":{\"jkt\":\"t\"},\"act\":{\"sub\":\"a\",\"act\":{\"sub\":\"b\"}},\"signet_depth\":2,"
            + "\"status\":{\"status_list\":{\"idx\":0,\"uri\":\"https://s/1\"}},\"ok\":true,\"no\":false,\"nil\":null,"
            + "\"neg\":-5,\"zero\":0,\"authorization_details\":[{\"type\":\"signet_resource\",\"identifier\":\"repo:a/*\","
            + "\"actions\":[\"read\",\"write\"]}],\"empty\":{},\"none\":[],\"utf\":\"\u00e9\u4e2d\"}";

    @Test
    void readsTheShapesSignetAndDpopClientsWrite() throws Exception {
        for (String header : List.of(PROOF_HEADER, TOKEN_HEADER, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"jwk\":" + JWK_JSON + "}")) {
            String jws = signed(header, CLAIMS);
            CompactJws plain = CompactJws.parse(jws);
            assertNotNull(plain, header);
            agrees(jws);
        }
        // Nimbus' own serialisation of a proof, as the bench and Java clients make it (a generated key: no kid, no alg).
        JWSObject nimbus = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(new ECKey.Builder(Curve.P_256, KEY.getX(), KEY.getY()).build()).build(), new Payload(Map.of("htm", "POST", "htu", "https://x/y", "iat", 1L, "jti", "j")));
        nimbus.sign(new ECDSASigner(KEY));
        assertNotNull(CompactJws.parse(nimbus.serialize()));
        agrees(nimbus.serialize());
    }

    @Test
    void declinesWhatItDoesNotReadExactlyAsNimbus() throws Exception {
        String offCurveY = Y.substring(0, 10) + (Y.charAt(10) == 'A' ? 'B' : 'A') + Y.substring(11);
        String strayBitsX = X.substring(0, 42) + (char) (X.charAt(42) + 1);
        List<String> headers = List.of(
                "{\"alg\":\"none\"}", "{\"typ\":\"at+jwt\"}", "{\"alg\":1}", "{\"alg\":\"ES256\",\"typ\":null}",
                "{\"alg\":\"ES256\",\"kid\":7}", "{\"alg\":\"ES256\",\"crit\":[\"b64\"]}", "{\"alg\":\"ES256\",\"b64\":false}",
                "{\"alg\":\"ES256\",\"x5c\":[]}", "{\"alg\":\"ES256\",\"cty\":\"JWT\"}", "{\"alg\":\"ES256\",\"custom\":1}",
                "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "{\"alg\":\"ES\\u0032256\"}", "{\"alg\":\"ES256\",\"jwk\":\"k\"}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace("}", ",\"alg\":\"ES256\"}") + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace("}", ",\"d\":\"" + KEY.getD() + "\"}") + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace("\"EC\"", "\"ec\"") + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace("P-256", "P-384") + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace(Y, offCurveY) + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace(X, strayBitsX) + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace(X, X.substring(1)) + "}",
                "{\"alg\":\"ES256\",\"jwk\":" + JWK_JSON.replace("\"crv\"", "\"kty\":\"EC\",\"crv\"") + "}",
                "{alg:\"ES256\"}", "{'alg':'ES256'}", "{\"alg\":\"ES256\"} x", "{\"alg\":\"ES256\"}//", "\ufeff{\"alg\":\"ES256\"}",
                "[\"alg\"]", "null", "", " ", "{\"alg\":\"ES256\",}");
        List<String> payloads = List.of("{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":01}", "{\"a\":-0}", "{\"a\":1234567890123456789}",
                "{\"a\":truex}", "{\"a\":True}", "{\"a\":\"\\n\"}", "{\"a\":\"\t\"}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":1,\"a\":1}",
                "{\"a\":[1,]}", "{\"a\":NaN}", "{\"a\":1;\"b\":2}", "{\"a\"=1}", "[1]", "\"s\"", "1", "{", "{\"a\":1}}",
                "{\"a\":[" + "[".repeat(40) + "]".repeat(40) + "]}", " {\"a\" : [ 1 , true ] } ", "{\"a\":-}", "{\"a\":nul}");
        for (String h : headers) {
            agrees(signed(h, CLAIMS));
        }
        for (String p : payloads) {
            agrees(signed(TOKEN_HEADER, p));
            agreesAsJson(p);
        }
        // Off the curve, stray bits, a private key: declined (Nimbus refuses the first and the last while parsing).
        assertNull(CompactJws.parse(signed(headers.get(17), CLAIMS)));
        assertNull(CompactJws.parse(signed(headers.get(18), CLAIMS)));
        assertNull(CompactJws.parse(signed(headers.get(14), CLAIMS)));
        String good = signed(TOKEN_HEADER, CLAIMS);
        int dot2 = good.lastIndexOf('.');
        for (String text : List.of(good + "=", " " + good, good.replace(".", ".."), good + ".x", good.substring(0, dot2 + 1),
                good.substring(0, good.indexOf('.') + 1) + good.substring(dot2), "x" + good.substring(good.indexOf('.')),
                good.substring(0, dot2) + ".a", good.replace('-', '+'))) {
            agrees(text);
        }
    }

    @Test
    void agreesWithNimbusOnRandomMutations() throws Exception {
        Random random = new Random(15);
        String[] pieces = {"{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "1", "-", "0", ".", "e", "true", "null",
                "x", "\"a\"", "\"alg\"", "\"ES256\"", "\u00e9", "\u0001", "'", "/", "#", "=", ";"};
        List<String> seeds = List.of(PROOF_HEADER, TOKEN_HEADER, CLAIMS);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder b = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
            for (int m = 1 + random.nextInt(3); m > 0; m--) {
                int at = random.nextInt(b.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> b.insert(at, pieces[random.nextInt(pieces.length)]);
                    case 1 -> b.delete(at, Math.min(b.length(), at + 1 + random.nextInt(4)));
                    default -> b.replace(at, Math.min(b.length(), at + 1), pieces[random.nextInt(pieces.length)]);
                }
            }
            String json = b.toString();
            agreesAsJson(json);
            agrees(random.nextBoolean() ? signed(json, CLAIMS) : signed(TOKEN_HEADER, json));
        }
    }

    /**
     * The verifiers answer a proof or token read directly exactly as the same one read by Nimbus: each case is
     * signed twice, once plainly (read directly) and once with its {@code alg} spelled with JSON escapes (the same
     * header to Nimbus, declined by CompactJws), and checked with the JDK's ES256 and with an {@link Signatures.Es256}
     * of its own (the daemon's path); every outcome (accepted, or the reason and message) is the same.
     */
    @Test
    void theVerifiersRefuseAsBeforeWhicheverWayATokenIsRead() throws Exception {
        ECKey holder = new ECKey.Builder(Curve.P_256, KEY.getX(), KEY.getY()).d(KEY.getD()).build();
        ECKey other = new ECKey.Builder(TokenVerifierFuzzTest.STRANGER.getCurve(), TokenVerifierFuzzTest.STRANGER.getX(),
                TokenVerifierFuzzTest.STRANGER.getY()).d(TokenVerifierFuzzTest.STRANGER.getD()).build();
        String jwk = holder.toPublicJWK().toJSONString();
        String jkt = DpopVerifier.thumbprint(holder.toPublicJWK());
        String uri = VectorWriter.URI;
        long now = VectorWriter.NOW;
        String claims = "{\"htm\":\"POST\",\"htu\":\"" + uri + "\",\"iat\":" + now + ",\"jti\":\"J\",\"ath\":\""
                + DpopVerifier.ath("tok") + "\"}";
        String header = "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":" + jwk + "}";
        List<String[]> proofs = List.of(new String[] {header, claims},
                new String[] {header.replace("dpop+jwt", "JWT"), claims},
                new String[] {header.replace(jwk, other.toPublicJWK().toJSONString()), claims, "other"},
                new String[] {header, claims, "other"},
                new String[] {header.replace("ES256", "ES384"), claims},
                new String[] {header.replace("ES256", "EdDSA"), claims},
                new String[] {header, claims.replace("POST", "GET")},
                new String[] {header, claims.replace(uri, "https://elsewhere/x")},
                new String[] {header, claims.replace("\"iat\":" + now, "\"iat\":" + (now - 3600))},
                new String[] {header, claims.replace("\"iat\":" + now + ",", "")},
                new String[] {header, claims.replace(DpopVerifier.ath("tok"), DpopVerifier.ath("other"))},
                new String[] {header, claims.replace("\"jti\":\"J\",", "")},
                new String[] {header, claims.replace("\"J\"", "7")});
        Clock clock = Clock.fixed(Instant.ofEpochSecond(now), ZoneOffset.UTC);
        java.util.Set<String> seen = new java.util.TreeSet<>();
        for (Signatures signatures : List.of(Signatures.jdk(), Signatures.withEs256(CompactJwsTest::jdkEs256, "test"))) {
            for (String[] c : proofs) {
                ECKey signer = c.length > 2 ? other : holder;
                String plain = TokenVerifierFuzzTest.sign(signer, c[0], c[1]);
                String escaped = TokenVerifierFuzzTest.sign(signer, escapeAlg(c[0]), c[1]);
                assertNotNull(CompactJws.parse(plain), c[0]);
                assertNull(CompactJws.parse(escaped));
                String outcome = outcome(() -> new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 8),
                        signatures).check(plain, "POST", uri, "tok", jkt).jkt());
                assertEquals(outcome(() -> new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 8), signatures)
                        .check(escaped, "POST", uri, "tok", jkt).jkt()), outcome, c[0] + " " + c[1]);
                seen.add(outcome.split("[: ]")[0]);
            }
            String tokenHeader = "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}";
            String tokenClaims = "{\"iss\":\"" + VectorWriter.ISSUER + "\",\"sub\":\"s\",\"aud\":\"" + VectorWriter.AUDIENCE
                    + "\",\"client_id\":\"m\",\"jti\":\"j\",\"iat\":" + now + ",\"exp\":" + (now + 600)
                    + ",\"authorization_details\":[{\"type\":\"signet_resource\",\"identifier\":\"repo:a/b\",\"actions\":[\"read\"]}]}";
            TokenVerifier verifier = TokenVerifierFuzzTest.VERIFIER.withSignatures(signatures);
            List<String[]> tokens = List.of(new String[] {tokenHeader, tokenClaims},
                    new String[] {tokenHeader.replace("at+jwt", "JWT"), tokenClaims},
                    new String[] {tokenHeader.replace("k1", "k2"), tokenClaims},
                    new String[] {tokenHeader.replace("ES256", "ES384"), tokenClaims},
                    new String[] {tokenHeader, tokenClaims, "other"},
                    new String[] {tokenHeader, tokenClaims.replace(VectorWriter.ISSUER, "https://other")},
                    new String[] {tokenHeader, tokenClaims.replace("\"exp\":" + (now + 600), "\"exp\":" + (now - 600))},
                    new String[] {tokenHeader, tokenClaims.replace("\"sub\":\"s\",", "")},
                    new String[] {tokenHeader, tokenClaims.replace("\"aud\":\"" + VectorWriter.AUDIENCE + "\"", "\"aud\":7")},
                    new String[] {tokenHeader, tokenClaims.replace("\"actions\":[\"read\"]", "\"actions\":[]")},
                    new String[] {tokenHeader, tokenClaims.replace("}]}", "}],\"signet_depth\":1}")});
            for (String[] c : tokens) {
                ECKey signer = c.length > 2 ? TokenVerifierFuzzTest.STRANGER : TokenVerifierFuzzTest.ISSUER_KEY;
                String plain = TokenVerifierFuzzTest.sign(signer, c[0], c[1]);
                String escaped = TokenVerifierFuzzTest.sign(signer, escapeAlg(c[0]), c[1]);
                assertNotNull(CompactJws.parse(plain), c[0]);
                String outcome = outcome(() -> verifier.verify(plain).subject());
                assertEquals(outcome(() -> verifier.verify(escaped).subject()), outcome, c[0] + " " + c[1]);
                seen.add(outcome.split("[: ]")[0]);
            }
        }
        assertEquals(new java.util.TreeSet<>(List.of("accepted", "bad_claims", "bad_signature", "dpop_ath", "dpop_htm",
                "dpop_htu", "dpop_iat", "dpop_invalid", "expired", "malformed", "unknown_kid", "unsupported_alg",
                "wrong_issuer", "wrong_typ")), seen);
    }

    /** The header with its alg's first character as a JSON escape: the same header to Nimbus. */
    static String escapeAlg(String header) {
        int at = header.indexOf("\"alg\":\"") + 7;
        return header.substring(0, at) + String.format("\\u%04x", (int) header.charAt(at)) + header.substring(at + 1);
    }

    static String outcome(java.util.concurrent.Callable<String> check) throws Exception {
        try {
            return "accepted " + check.call();
        } catch (Rejected e) {
            return e.reason() + ": " + e.getMessage();
        }
    }

    static boolean jdkEs256(byte[] x, byte[] y, byte[] input, byte[] signature) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initVerify(new ECKey.Builder(Curve.P_256, Base64URL.encode(x), Base64URL.encode(y)).build().toECPublicKey());
            s.update(input);
            return s.verify(signature);
        } catch (java.security.GeneralSecurityException | com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Arrays (an exchange's authorization_details) read as Nimbus' JSONArrayUtils reads them, or left to it. */
    @Test
    void arraysAgreeWithNimbus() throws Exception {
        String details = "[{\"type\":\"signet_resource\",\"identifier\":\"repo:acme/widgets\",\"actions\":[\"read\",\"write\"]}]";
        assertEquals(com.nimbusds.jose.util.JSONArrayUtils.parse(details), PlainJson.array(details));
        for (String text : List.of("null", "[]", " [ 1 , \"a\" ] ", "[1,]", "[01]", "[1.5]", "[{\"a\":1,\"a\":2}]", "[\"\\u0041\"]",
                "{}", "[", "[]]", "[truex]", "[null]")) {
            agreesAsArray(text);
        }
        assertNull(PlainJson.array("null"));
        Random random = new Random(15);
        String[] pieces = {"{", "}", "[", "]", ",", ":", "\"", "\\", " ", "1", "-", ".", "true", "null", "x", "'"};
        for (int i = 0; i < 5_000; i++) {
            StringBuilder b = new StringBuilder(details);
            for (int m = 1 + random.nextInt(3); m > 0; m--) {
                int at = random.nextInt(b.length() + 1);
                if (random.nextBoolean()) {
                    b.insert(at, pieces[random.nextInt(pieces.length)]);
                } else {
                    b.delete(at, Math.min(b.length(), at + 1 + random.nextInt(4)));
                }
            }
            agreesAsArray(b.toString());
        }
    }

    static void agreesAsArray(String json) {
        List<Object> plain = PlainJson.array(json);
        if (plain == null) {
            return;
        }
        try {
            assertEquals(com.nimbusds.jose.util.JSONArrayUtils.parse(json), plain, json);
        } catch (ParseException e) {
            fail("read directly but Nimbus refuses it: " + json);
        }
    }

    /** When CompactJws reads {@code text}, Nimbus reads it to the same alg, typ, kid, header key and payload. */
    static void agrees(String text) {
        CompactJws plain = CompactJws.parse(text);
        if (plain == null) {
            return;
        }
        JWSObject nimbus;
        try {
            nimbus = JWSObject.parse(text);
        } catch (ParseException e) {
            fail("read directly but Nimbus refuses it (" + e.getMessage() + "): " + text);
            return;
        }
        JWSHeader h = nimbus.getHeader();
        assertEquals(h.getAlgorithm(), plain.algorithm(), text);
        assertEquals(h.getType(), plain.type(), text);
        assertEquals(h.getKeyID(), plain.keyId(), text);
        assertEquals(h.getJWK() != null, plain.hasKey(), text);
        if (plain.hasKey()) {
            JWK jwk = h.getJWK();
            assertTrue(!jwk.isPrivate() && jwk.getAlgorithm() == null, text);
            assertEquals(DpopVerifier.thumbprint(jwk), plain.keyThumbprint(), text);
            assertEquals(((ECKey) jwk).getX().toString(), Base64URL.encode(plain.headerX()).toString(), text);
            assertEquals(((ECKey) jwk).getY().toString(), Base64URL.encode(plain.headerY()).toString(), text);
        }
        assertEquals(Signatures.payloadJson(nimbus), plain.payload(), text);
        assertEquals(new String(nimbus.getSigningInput(), StandardCharsets.US_ASCII),
                new String(plain.signingInput(), StandardCharsets.US_ASCII), text);
        assertEquals(Signatures.canonical(text, nimbus), plain.canonicalSignature(), text);
    }

    /** When PlainJson reads {@code json}, Nimbus' gson reads it to an equal map. */
    static void agreesAsJson(String json) {
        Map<String, Object> plain = PlainJson.object(json);
        if (plain == null) {
            return;
        }
        try {
            assertEquals(JSONObjectUtils.parse(json), plain, json);
        } catch (ParseException e) {
            fail("read directly but Nimbus refuses it: " + json);
        }
    }

    /** {@code header} and {@code payload} as a compact JWS with a signature that is only bytes (no check is made). */
    static String signed(String header, String payload) {
        List<String> parts = new ArrayList<>();
        for (String part : List.of(header, payload)) {
            parts.add(Base64URL.encode(part.getBytes(StandardCharsets.UTF_8)).toString());
        }
        return parts.get(0) + '.' + parts.get(1) + '.' + Base64URL.encode(new byte[64]);
    }
}
