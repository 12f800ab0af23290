package dev.signet.issuance;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.grammar.ResourcePattern;
import dev.signet.verifier.DpopVerifier;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for the token-exchange form and its DPoP proof (RELIABILITY.md). The input is UTF-8 lines
 * {@code name=value} that override a valid exchange of a DPoP-bound parent: form parameters ({@code name=} with no
 * value removes one), {@code dpop=} (the header), or {@code proof.htm/htu/ath/iat/jti=} (claims of a proof signed with
 * the holder's key; iat is seconds from now). In values, {parent}, {actor} and {proof} become the valid ones.
 * It is refused only with an OAuth client error (never a SignetException, never another exception); accepted, the
 * child is within its parent: same subject and audience, expiring no later, every grant covered by a parent grant.
 */
class ExchangeFuzzTest {

    static final String HTU = "https://signet.fuzz/v1/token-exchange";
    static final Set<String> CLIENT_ERRORS = Set.of(ExchangeException.INVALID_REQUEST, ExchangeException.INVALID_GRANT,
            ExchangeException.INVALID_TARGET, ExchangeException.UNSUPPORTED_GRANT_TYPE);
    static final List<Map<String, Object>> PARENT_SCOPE = List.of(
            Map.of("resource", "repo:acme/*", "actions", List.of("read", "list")),
            Map.of("resource", "file:/srv/public/**", "actions", List.of("read")));
    static final MinterPolicy POLICY = new MinterPolicy(Set.copyOf(TokenRequestFuzzTest.AUDIENCES),
            TokenRequestFuzzTest.RESOURCES, TokenRequestFuzzTest.ACTIONS, TokenRequestFuzzTest.MAX_TTL,
            new MinterPolicy.Delegation(true, 3, false));
    static final Minter MINTER = new Minter("fuzz", CredentialHash.of("fuzz-credential-0123456789abcdef"), POLICY);
    static final Exchange EXCHANGE = new Exchange(BatchFuzzTest.ISSUANCE, new Minters(List.of(MINTER)));
    static final ECKey HOLDER = key();
    static final ECKey AGENT = key();
    static final String PARENT = BatchFuzzTest.ISSUANCE.mint(MINTER, Map.of("sub", "agent-7",
            "aud", "https://api.example.com", "ttl", 300, "scope", PARENT_SCOPE,
            "cnf", Map.of("jkt", thumbprint(HOLDER)))).token();

    @FuzzTest(maxDuration = "20s")
    void exchange(byte[] data) throws Exception {
        Map<String, String> form = new HashMap<>(Map.of("grant_type", Exchange.GRANT_TYPE, "subject_token", "{parent}",
                "subject_token_type", Exchange.ACCESS_TOKEN_TYPE, "actor_token", "{actor}",
                "actor_token_type", Exchange.JWT_TYPE));
        Map<String, String> proof = new HashMap<>(Map.of("htm", "POST", "htu", HTU, "ath", DpopVerifier.ath(PARENT),
                "iat", "0", "jti", UUID.randomUUID().toString()));
        String dpop = "{proof}";
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (name.equals("dpop")) {
                dpop = value.isEmpty() ? null : value;
            } else if (name.startsWith("proof.")) {
                proof.put(name.substring("proof.".length()), value);
            } else if (value.isEmpty()) {
                form.remove(name);
            } else {
                form.put(name, value);
            }
        }
        String actor = sign(AGENT, "JWT", new JWTClaimsSet.Builder().subject("sub-agent").audience("https://signet.fuzz")
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).build());
        String proofJwt = proof(proof);
        form.replaceAll((k, v) -> expand(v, actor, proofJwt));
        Exchange.Result result;
        try {
            result = EXCHANGE.exchange(form, dpop == null ? null : expand(dpop, actor, proofJwt), HTU);
        } catch (ExchangeException e) {
            assertTrue(CLIENT_ERRORS.contains(e.error()), () -> "refused with " + e.error() + ": " + e.getMessage());
            return;
        }
        assertWithinParent(result);
    }

    /** The valid seeds are exchanged, so the within-parent assertions are reached, not vacuous. */
    @Test
    void theValidSeedsAreExchanged() throws Exception {
        for (String name : List.of("valid", "valid-narrowed")) {
            try (InputStream in = getClass().getResourceAsStream("ExchangeFuzzTestInputs/exchange/" + name)) {
                Map<String, String> form = new HashMap<>();
                String actor = sign(AGENT, "JWT", new JWTClaimsSet.Builder().subject("sub-agent")
                        .audience("https://signet.fuzz").issueTime(new Date()).jwtID(UUID.randomUUID().toString()).build());
                String proof = proof(Map.of("htm", "POST", "htu", HTU, "ath", DpopVerifier.ath(PARENT), "iat", "0",
                        "jti", UUID.randomUUID().toString()));
                Map<String, String> seed = new HashMap<>(Map.of("grant_type", Exchange.GRANT_TYPE, "subject_token", PARENT,
                        "subject_token_type", Exchange.ACCESS_TOKEN_TYPE, "actor_token", actor,
                        "actor_token_type", Exchange.JWT_TYPE));
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.indexOf('=') > 0) {
                        seed.put(line.substring(0, line.indexOf('=')), expand(line.substring(line.indexOf('=') + 1), actor, proof));
                    }
                }
                form.putAll(seed);
                assertWithinParent(EXCHANGE.exchange(form, proof, HTU));
            }
        }
    }

    static void assertWithinParent(Exchange.Result result) throws Exception {
        JWTClaimsSet parent = SignedJWT.parse(PARENT).getJWTClaimsSet();
        JWTClaimsSet child = SignedJWT.parse(result.token().token()).getJWTClaimsSet();
        assertEquals(parent.getSubject(), child.getSubject());
        assertEquals(parent.getAudience(), child.getAudience());
        assertFalse(child.getExpirationTime().after(parent.getExpirationTime()), "the child outlives its parent");
        assertEquals(1, result.depth());
        assertEquals(parent.getJWTID(), child.getStringClaim("signet_parent_jti"));
        List<Object> details = child.getListClaim("authorization_details");
        assertFalse(details.isEmpty());
        for (Object d : details) {
            Map<?, ?> detail = (Map<?, ?>) d;
            ResourcePattern resource = ResourcePattern.parse((String) detail.get("identifier"));
            List<?> actions = (List<?>) detail.get("actions");
            assertTrue(PARENT_SCOPE.stream().anyMatch(p -> ResourcePattern.parse((String) p.get("resource")).covers(resource)
                            && ((List<?>) p.get("actions")).containsAll(actions)),
                    () -> "child grant outside its parent: " + detail);
        }
    }

    static String expand(String value, String actor, String proof) {
        return value.replace("{parent}", PARENT).replace("{actor}", actor).replace("{proof}", proof);
    }

    static String proof(Map<String, String> claims) throws Exception {
        long iat;
        try {
            iat = Long.parseLong(claims.get("iat"));
        } catch (NumberFormatException e) {
            iat = 0;
        }
        return sign(HOLDER, "dpop+jwt", new JWTClaimsSet.Builder().claim("htm", claims.get("htm"))
                .claim("htu", claims.get("htu")).claim("ath", claims.get("ath")).jwtID(claims.get("jti"))
                .issueTime(Date.from(Instant.now().plus(Duration.ofSeconds(Math.max(-1_000_000, Math.min(1_000_000, iat))))))
                .build());
    }

    static String sign(ECKey key, String typ, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ))
                .jwk(key.toPublicJWK()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    static ECKey key() {
        try {
            return new ECKeyGenerator(Curve.P_256).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String thumbprint(ECKey key) {
        try {
            return key.computeThumbprint().toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
