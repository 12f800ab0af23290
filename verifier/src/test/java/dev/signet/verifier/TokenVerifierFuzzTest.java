package dev.signet.verifier;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for parent-token parsing (RELIABILITY.md): {@link TokenVerifier#verify} on attacker bytes. An input
 * is UTF-8: {@code sign}, a newline, a JOSE header, a newline, a claims set: those exact bytes signed ES256 by the
 * published key; {@code forge} and the same: signed by a stranger's key under the published kid; anything else is
 * the token itself. It is refused only with a {@link Rejected} of a documented reason; accepted, the token is
 * checked without Nimbus: three canonical base64url segments whose signature the JDK verifies with the published
 * key, and whose claims carry this issuer, this audience, an unexpired exp and the subject and jti the verifier read.
 */
class TokenVerifierFuzzTest {

    // Test-only keys, fixed so that committed inputs can hold validly signed tokens.
    static final ECKey ISSUER_KEY = parse("""
            {"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","x":"L5hOX9mtNVzVnOQVSZq6fQK6HAEGVoH2e1o8EXDXwqw",\
            "y":"cv5albAaQSSNB9IlwmBc3kii3QZKPPFaB9Ol2nt4vvo","d":"aRTte37_pIWq9loFFn8879AB27C-7C6AQhryXlHWEEk"}""");
    static final ECKey STRANGER = parse("""
            {"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","x":"9J3c-MYHwAIwoIYTAWxBD8lYR87hneVOLiXjGY9GfkM",\
            "y":"FPQ1PQSm6dpuCO49PqWzp6s1oiiX9kTARs7OuZntg4c","d":"uq6yFXW5yVpA7QQ3xBJ3D1ml1tyUE9IatM2BSzLWdNI"}""");
    static final long NOW = VectorWriter.NOW;
    static final Duration SKEW = Duration.ofSeconds(30);
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    static final TokenVerifier VERIFIER = new TokenVerifier(VectorWriter.ISSUER, VectorWriter.AUDIENCE,
            kid -> "k1".equals(kid) ? ISSUER_KEY.toPublicJWK() : null, CLOCK, SKEW,
            new DpopVerifier(CLOCK, Duration.ofSeconds(60), new ReplayCache(CLOCK, 100)));
    static final Set<String> REASONS = Set.of("malformed", "wrong_typ", "unsupported_alg", "unknown_kid",
            "bad_signature", "wrong_issuer", "wrong_audience", "expired", "not_yet_valid", "bad_claims");
    static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    /** The DPoP holder: the stranger's key, which the issuer never published. */
    static final ECKey HOLDER = STRANGER;
    static final String HOLDER_JKT = DpopVerifier.thumbprint(HOLDER.toPublicJWK());
    static final String PRESENTED = "a.presented.token";
    static final Duration WINDOW = Duration.ofSeconds(60);
    static final Set<String> DPOP_REASONS = Set.of("dpop_required", "dpop_invalid", "dpop_htm", "dpop_htu", "dpop_iat",
            "dpop_ath", "dpop_replay", "unsupported_alg", "bad_signature");

    @FuzzTest(maxDuration = "20s")
    void token(byte[] data) throws Exception {
        VerifiedToken t;
        String token = token(new String(data, StandardCharsets.UTF_8));
        try {
            t = VERIFIER.verify(token);
        } catch (Rejected e) {
            assertTrue(REASONS.contains(e.reason()), () -> "refused with reason " + e.reason());
            return;
        }
        assertSignedByIssuer(token, t);
    }

    /**
     * {@link DpopVerifier#check} of a proof for {@code POST} {@link VectorWriter#URI} with {@link #PRESENTED}, bound
     * to {@link #HOLDER}: {@code sign}, a header line and a claims line signed by the holder ({jwk} and {ath} expand
     * to its public JWK and the presented token's hash), or else the proof itself. Refused only with a documented
     * reason; accepted, checked without Nimbus: the JDK verifies the signature with the holder's key, and the claims
     * carry this method, an iat within the window, the presented token's ath and the jti reported.
     */
    @FuzzTest(maxDuration = "20s")
    void proof(byte[] data) throws Exception {
        String proof = proof(new String(data, StandardCharsets.UTF_8));
        DpopVerifier.Proof p;
        try {
            p = new DpopVerifier(CLOCK, WINDOW, new ReplayCache(CLOCK, 16)).check(proof, "POST", VectorWriter.URI,
                    PRESENTED, HOLDER_JKT);
        } catch (Rejected e) {
            assertTrue(DPOP_REASONS.contains(e.reason()), () -> "refused with reason " + e.reason());
            return;
        }
        assertProofByHolder(proof.strip(), p);
    }

    @Test
    void theValidProofIsAccepted() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("TokenVerifierFuzzTestInputs/proof/valid")) {
            String proof = proof(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertProofByHolder(proof, new DpopVerifier(CLOCK, WINDOW, new ReplayCache(CLOCK, 16))
                    .check(proof, "POST", VectorWriter.URI, PRESENTED, HOLDER_JKT));
        }
    }

    static String proof(String text) throws Exception {
        String[] lines = text.split("\n", 3);
        if (lines.length == 3 && lines[0].equals("sign")) {
            return sign(HOLDER, lines[1].replace("{jwk}", HOLDER.toPublicJWK().toJSONString()),
                    lines[2].replace("{ath}", DpopVerifier.ath(PRESENTED)));
        }
        return text;
    }

    static void assertProofByHolder(String proof, DpopVerifier.Proof p) throws Exception {
        String[] parts = proof.split("\\.", -1);
        assertEquals(3, parts.length, "a compact JWS");
        Base64.Decoder b64 = Base64.getUrlDecoder();
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(HOLDER.toECPublicKey());
        s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(s.verify(b64.decode(parts[2])), "an accepted proof is signed by the holder's key");
        Map<String, Object> claims = JSONObjectUtils.parse(new String(b64.decode(parts[1]), StandardCharsets.UTF_8));
        assertEquals("POST", claims.get("htm"));
        assertTrue(claims.get("iat") instanceof Number iat && Math.abs(iat.longValue() - NOW) <= WINDOW.toSeconds(),
                "iat within the window");
        assertEquals(DpopVerifier.ath(PRESENTED), claims.get("ath"));
        assertEquals(claims.get("jti"), p.jti());
        assertEquals(HOLDER_JKT, p.jkt());
    }

    /** The valid seeds are accepted, so the assertions on an accepted token are reached, not vacuous. */
    @Test
    void theValidSeedsAreAccepted() throws Exception {
        for (String name : List.of("valid-signed", "valid-token", "valid-delegated")) {
            try (InputStream in = getClass().getResourceAsStream("TokenVerifierFuzzTestInputs/token/" + name)) {
                String token = token(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                assertSignedByIssuer(token, VERIFIER.verify(token));
            }
        }
    }

    static String token(String text) throws Exception {
        String[] lines = text.split("\n", 3);
        if (lines.length == 3 && (lines[0].equals("sign") || lines[0].equals("forge"))) {
            return sign(lines[0].equals("sign") ? ISSUER_KEY : STRANGER, lines[1], lines[2]);
        }
        return text;
    }

    static String sign(ECKey key, String header, String claims) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key.toECPrivateKey());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64.encodeToString(s.sign());
    }

    static void assertSignedByIssuer(String token, VerifiedToken t) throws Exception {
        assertTrue(COMPACT.matcher(token).matches(), "an accepted token is three base64url segments");
        String[] p = token.split("\\.");
        Base64.Decoder b64 = Base64.getUrlDecoder();
        for (String segment : p) {
            assertEquals(segment, Base64.getUrlEncoder().withoutPadding().encodeToString(b64.decode(segment)),
                    "an accepted token's segments are canonical base64url: one spelling per token");
        }
        byte[] signature = b64.decode(p[2]);
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(ISSUER_KEY.toECPublicKey());
        s.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(s.verify(signature), "an accepted token is signed by the published key");
        byte[] payload = b64.decode(p[1]);
        Map<String, Object> claims = JSONObjectUtils.parse(new String(payload, StandardCharsets.UTF_8));
        assertEquals(VectorWriter.ISSUER, claims.get("iss"));
        Object aud = claims.get("aud");
        assertTrue(VectorWriter.AUDIENCE.equals(aud) || List.of(VectorWriter.AUDIENCE).equals(aud), "aud " + aud);
        assertTrue(claims.get("exp") instanceof Number exp && NOW < exp.longValue() + SKEW.toSeconds(), "unexpired");
        assertEquals(claims.get("sub"), t.subject());
        assertEquals(claims.get("jti"), t.jti());
        assertEquals(VectorWriter.AUDIENCE, t.audience());
        assertTrue(t.expiresAt().isAfter(Instant.ofEpochSecond(NOW).minus(SKEW)));
        assertTrue(Arrays.asList(0, 1, 2, 3, 4, 5).contains(t.depth()));
    }

    private static ECKey parse(String jwk) {
        try {
            return ECKey.parse(jwk);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
