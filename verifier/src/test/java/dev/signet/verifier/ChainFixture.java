package dev.signet.verifier;

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

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Roots and links for chain tests: an issuer key, holder keys, a root token as Signet issues one (bound, with
 * {@code signet_max_depth}), and {@link #forge} to sign a link with any claims (the builder refuses bad ones).
 */
public final class ChainFixture {

    public static final String ISSUER = VectorWriter.ISSUER;
    public static final String AUDIENCE = VectorWriter.AUDIENCE;
    public static final String URI = VectorWriter.URI;
    public static final long NOW = VectorWriter.NOW;
    public final Clock clock = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    public final ECKey issuerKey;
    /** holders[0] holds the root, holders[i] the i-th link. */
    public final List<ECKey> holders = new ArrayList<>();

    public ChainFixture() {
        try {
            issuerKey = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
            for (int i = 0; i <= TokenVerifier.MAX_DEPTH + 1; i++) {
                holders.add(new ECKeyGenerator(Curve.P_256).generate());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String jkt(ECKey key) {
        return DpopVerifier.thumbprint(key.toPublicJWK());
    }

    /** Root claims as Signet writes them for a bound token of a minter with delegation cap {@code maxDepth}. */
    public JWTClaimsSet.Builder rootClaims(int maxDepth, String... resourceActions) {
        JWTClaimsSet.Builder b = VectorWriter.claims().claim("cnf", Map.of("jkt", jkt(holders.getFirst())));
        if (maxDepth > 0) {
            b.claim(Chain.MAX_DEPTH_CLAIM, maxDepth);
        }
        if (resourceActions.length > 0) {
            b.claim("authorization_details", details(resourceActions));
        }
        return b;
    }

    public String root(int maxDepth, String... resourceActions) {
        return sign(rootClaims(maxDepth, resourceActions).build());
    }

    public String sign(JWTClaimsSet claims) {
        try {
            return VectorWriter.token(issuerKey, "at+jwt", claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code "repo:a/*", "read,write", ...} as authorization_details. */
    public static List<Map<String, Object>> details(String... resourceActions) {
        List<Map<String, Object>> d = new ArrayList<>();
        for (int i = 0; i < resourceActions.length; i += 2) {
            d.add(VectorWriter.detail(resourceActions[i], resourceActions[i + 1].split(",")));
        }
        return d;
    }

    public static List<VerifiedToken.Grant> grants(String... resourceActions) {
        List<VerifiedToken.Grant> g = new ArrayList<>();
        for (int i = 0; i < resourceActions.length; i += 2) {
            g.add(new VerifiedToken.Grant(ResourcePattern.parse(resourceActions[i]),
                    new HashSet<>(List.of(resourceActions[i + 1].split(",")))));
        }
        return g;
    }

    /** The next link through the builder: holder {@code k-1} hands to holder {@code k}. */
    public String attenuate(String credential, int k, String... resourceActions) {
        return Attenuation.attenuate(credential, holders.get(k - 1), new Attenuation.Step("helper-" + k,
                holders.get(k).toPublicJWK(), null, resourceActions.length == 0 ? null : grants(resourceActions),
                Duration.ofMinutes(5)), clock);
    }

    /** A chain of {@code depth} links through the builder, each keeping the root's grants. */
    public String chain(String root, int depth) {
        String c = root;
        for (int k = 1; k <= depth; k++) {
            c = attenuate(c, k);
        }
        return c;
    }

    /** Link claims as the builder writes them for holder {@code k}, appended to {@code credential}; edit and {@link #forge}. */
    public Map<String, Object> linkClaims(String credential, int k, String... resourceActions) {
        List<String> parts = Chain.split(credential);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("jti", UUID.randomUUID().toString());
        c.put("iat", NOW - 10);
        c.put("exp", NOW + 300);
        c.put("aud", AUDIENCE);
        c.put("act", Map.of("sub", "helper-" + k));
        c.put("cnf", Map.of("jkt", jkt(holders.get(k))));
        c.put(Chain.PREV_CLAIM, Chain.hash(parts.getLast()));
        c.put("authorization_details", details(resourceActions.length == 0 ? new String[]{"repo:acme/widgets", "read"} : resourceActions));
        return c;
    }

    /** Appends a link with exactly {@code claims}, signed by {@code signer}, typed {@code typ}. */
    public static String forge(String credential, ECKey signer, String typ, Map<String, Object> claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ))
                    .jwk(signer.toPublicJWK()).build(), JWTClaimsSet.parse(claims));
            jwt.sign(new ECDSASigner(signer));
            return credential + Chain.SEPARATOR + jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String forge(String credential, int k, Map<String, Object> claims) {
        return forge(credential, holders.get(k - 1), Chain.LINK_TYPE, claims);
    }

    public ChainVerifier verifier(StatusCheck status) {
        return new ChainVerifier(ISSUER, AUDIENCE, kid -> kid.equals("k1") ? issuerKey.toPublicJWK() : null, clock,
                Duration.ZERO, new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 1000)), status);
    }

    /** A DPoP proof for GET {@link #URI} over {@code credential} by holder {@code k}. */
    public String proof(String credential, int k) {
        try {
            return VectorWriter.proof(holders.get(k), "GET", URI, credential, UUID.randomUUID().toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static Date at(long epochSecond) {
        return new Date(epochSecond * 1000);
    }
}
