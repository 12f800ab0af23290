package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies Signet access tokens as a service does: header {@code typ at+jwt} and an accepted {@code alg}, a
 * {@code kid} the issuer publishes ({@link KeySource}, e.g. {@link JwksCache}), the signature, {@code iss},
 * {@code aud} (exactly, as the grammar requires), {@code exp} and {@code nbf} with a small clock skew, and the
 * shape of {@code authorization_details}, {@code act}, {@code signet_depth} and {@code cnf}. Then
 * {@link #authorize} answers "may it do this", checking the DPoP proof of a bound token.
 */
public final class TokenVerifier {

    public static final String TYPE = "at+jwt";
    private static final JOSEObjectType AT_JWT = new JOSEObjectType(TYPE);
    public static final String DETAIL_TYPE = "signet_resource";
    /** The deepest chain an issuer signs (signet_depth); deeper tokens are refused outright. */
    public static final int MAX_DEPTH = 5;

    private final String issuer;
    private final String audience;
    private final KeySource keys;
    private final Clock clock;
    private final Duration skew;
    private final DpopVerifier dpop;
    private final StatusListCache status;
    private final Signatures signatures;

    /**
     * @param audience this service's audience, compared exactly; null only for the issuer itself, which checks a
     *                 parent token's audience as attenuation
     * @param dpop     checks proofs for bound tokens
     */
    public TokenVerifier(String issuer, String audience, KeySource keys, Clock clock, Duration skew, DpopVerifier dpop) {
        this(issuer, audience, keys, clock, skew, dpop, null, Signatures.jdk());
    }

    private TokenVerifier(String issuer, String audience, KeySource keys, Clock clock, Duration skew, DpopVerifier dpop,
                          StatusListCache status, Signatures signatures) {
        this.status = status;
        this.signatures = signatures;
        this.issuer = issuer;
        this.audience = audience;
        this.keys = keys;
        this.clock = clock;
        this.skew = skew;
        this.dpop = dpop;
    }

    /**
     * This verifier, also checking each token's {@code status} claim in {@link #authorize} with {@code status}
     * (reasons {@code revoked}, {@code status_unavailable}, {@code bad_status}).
     */
    public TokenVerifier withStatus(StatusListCache status) {
        return new TokenVerifier(issuer, audience, keys, clock, skew, dpop, status, signatures);
    }

    /** This verifier, checking tokens' signatures with {@code signatures} (the JDK's unless told). */
    public TokenVerifier withSignatures(Signatures signatures) {
        return new TokenVerifier(issuer, audience, keys, clock, skew, dpop, status, signatures);
    }

    /** An HTTP request as DPoP sees it: method, the URI the client addressed, and the {@code DPoP} header (or null). */
    public record Request(String method, String uri, String dpopProof) {
    }

    /**
     * Verifies {@code token} and decides whether it may do {@code action} on {@code resource}. A bound token
     * ({@code cnf.jkt}) needs a DPoP proof for this request, signed by its key, with {@code ath} over the token.
     */
    public Decision authorize(String token, Request request, String resource, String action) {
        try {
            VerifiedToken t = verify(token);
            if (status != null) {
                status.check(t);
            }
            if (t.boundJkt().isPresent()) {
                dpop.check(request == null ? null : request.dpopProof(), request == null ? "" : request.method(),
                        request == null ? "" : request.uri(), token, t.boundJkt().get());
            }
            return t.allows(resource, action);
        } catch (Rejected e) {
            return Decision.deny(e.reason(), e.getMessage());
        }
    }

    /** {@link #authorize(String, Request, String, String)} for a bearer token; a bound one is denied. */
    public Decision authorize(String token, String resource, String action) {
        return authorize(token, null, resource, action);
    }

    /**
     * @throws Rejected with reason {@code malformed}, {@code wrong_typ}, {@code unsupported_alg}, {@code unknown_kid},
     *                  {@code bad_signature}, {@code wrong_issuer}, {@code wrong_audience}, {@code expired},
     *                  {@code not_yet_valid} or {@code bad_claims}
     */
    public VerifiedToken verify(String token) {
        // Read directly when it has the plain shape Signet writes (CompactJws: the same values), else by Nimbus.
        CompactJws plain = CompactJws.parse(token);
        SignedJWT jwt = null;
        JWTClaimsSet claims;
        try {
            if (plain != null) {
                claims = JWTClaimsSet.parse(plain.payload());
            } else {
                jwt = Signatures.parseJwt(token);
                claims = Signatures.claims(jwt);
            }
        } catch (ParseException e) {
            throw new Rejected("malformed", "not a compact JWS with a JSON claims set");
        }
        if (plain != null ? !plain.canonicalSignature() : !Signatures.canonical(token, jwt)) {
            throw new Rejected("malformed", "not a compact JWS in canonical base64url (no whitespace, padding or stray bits)");
        }
        JOSEObjectType type = plain != null ? plain.type() : jwt.getHeader().getType();
        if (!AT_JWT.equals(type)) {
            throw new Rejected("wrong_typ", "an access token has typ " + TYPE);
        }
        String kid = plain != null ? plain.keyId() : jwt.getHeader().getKeyID();
        JWSAlgorithm alg = plain != null ? plain.algorithm() : jwt.getHeader().getAlgorithm();
        if (!Signatures.ALGORITHMS.contains(alg)) {
            throw new Rejected("unsupported_alg", "the token is signed with " + alg);
        }
        JWK key = kid == null ? null : keys.key(kid);
        if (key == null) {
            throw new Rejected("unknown_kid", "the issuer publishes no key with this token's kid");
        }
        if (plain != null) {
            signatures.check(plain, key, "the token");
        } else {
            signatures.check(jwt, key, "the token");
        }
        if (!issuer.equals(claims.getIssuer())) {
            throw new Rejected("wrong_issuer", "the token's iss is not " + issuer);
        }
        List<String> aud = claims.getAudience();
        if (aud.size() != 1) {
            throw new Rejected("bad_claims", "a Signet token has exactly one aud");
        }
        if (audience != null && !audience.equals(aud.getFirst())) {
            throw new Rejected("wrong_audience", "the token is for " + aud.getFirst() + ", not " + audience);
        }
        Instant now = clock.instant();
        if (claims.getExpirationTime() == null || !now.isBefore(claims.getExpirationTime().toInstant().plus(skew))) {
            throw new Rejected("expired", "the token has expired");
        }
        if (claims.getNotBeforeTime() != null && now.plus(skew).isBefore(claims.getNotBeforeTime().toInstant())) {
            throw new Rejected("not_yet_valid", "the token is not valid yet (nbf)");
        }
        try {
            return new VerifiedToken(token, required(claims.getSubject(), "sub"), aud.getFirst(),
                    required(claims.getStringClaim("client_id"), "client_id"), required(claims.getJWTID(), "jti"),
                    Optional.ofNullable(claims.getStringClaim("task")), claims.getExpirationTime().toInstant(),
                    grants(claims.getClaim("authorization_details")), actors(claims.getClaim("act")),
                    depth(claims), Optional.ofNullable(claims.getStringClaim("signet_parent_jti")), jkt(claims.getClaim("cnf")),
                    claims);
        } catch (ParseException | ClassCastException e) {
            throw new Rejected("bad_claims", "a claim has the wrong type");
        }
    }

    private static String required(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new Rejected("bad_claims", "the token has no " + name);
        }
        return value;
    }

    static List<VerifiedToken.Grant> grants(Object details) {
        if (!(details instanceof List<?> list) || list.isEmpty()) {
            throw new Rejected("bad_claims", "authorization_details must be a non-empty list");
        }
        List<VerifiedToken.Grant> grants = new ArrayList<>();
        for (Object d : list) {
            if (!(d instanceof Map<?, ?> m) || !DETAIL_TYPE.equals(m.get("type")) || !(m.get("identifier") instanceof String id)
                    || !(m.get("actions") instanceof List<?> actions) || actions.isEmpty()) {
                throw new Rejected("bad_claims", "each authorization_details entry is {type: " + DETAIL_TYPE + ", identifier, actions}");
            }
            Set<String> names = new HashSet<>();
            for (Object a : actions) {
                if (!(a instanceof String s) || s.isEmpty()) {
                    throw new Rejected("bad_claims", "actions are non-empty strings");
                }
                names.add(s);
            }
            try {
                grants.add(new VerifiedToken.Grant(ResourcePattern.parse(id), names));
            } catch (GrammarException e) {
                throw new Rejected("bad_claims", "an authorization_details identifier is outside the grammar");
            }
        }
        return grants;
    }

    /** {@code act} nested as RFC 8693 §4.1 does: the current actor outermost. */
    static List<String> actors(Object act) {
        List<String> actors = new ArrayList<>();
        while (act != null) {
            if (!(act instanceof Map<?, ?> m) || !(m.get("sub") instanceof String sub) || sub.isEmpty()
                    || actors.size() >= MAX_DEPTH) {
                throw new Rejected("bad_claims", "act must nest {sub, act?} objects, at most " + MAX_DEPTH + " deep");
            }
            actors.add(sub);
            act = m.get("act");
        }
        return actors;
    }

    private static int depth(JWTClaimsSet claims) throws ParseException {
        Object d = claims.getClaim("signet_depth");
        int actors = actors(claims.getClaim("act")).size();
        if (d == null) {
            if (actors != 0 || claims.getClaim("signet_parent_jti") != null) {
                throw new Rejected("bad_claims", "a delegated token carries signet_depth");
            }
            return 0;
        }
        if (!(d instanceof Number n) || n.longValue() < 1 || n.longValue() > MAX_DEPTH || n.longValue() != actors
                || claims.getStringClaim("signet_parent_jti") == null) {
            throw new Rejected("bad_claims", "signet_depth must be 1.." + MAX_DEPTH + ", one per actor in act, with signet_parent_jti");
        }
        return n.intValue();
    }

    private static Optional<String> jkt(Object cnf) {
        if (cnf == null) {
            return Optional.empty();
        }
        if (!(cnf instanceof Map<?, ?> m) || !(m.get("jkt") instanceof String jkt) || jkt.isEmpty()) {
            throw new Rejected("bad_claims", "cnf must be {jkt}");
        }
        return Optional.of(jkt);
    }
}
