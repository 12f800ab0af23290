package dev.signet.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.grammar.AudiencePattern;
import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;

import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Attenuation, the one rule for "no wider than": a (resource, action) is within a list of grants when one grant's
 * resource covers it under the grammar ({@link ResourcePattern#covers}) and lists the action. Token exchange
 * (issuance) and chained credentials ({@link ChainVerifier}) both use it. Also builds a chain's next link offline
 * ({@link #attenuate}), checking the same rules first so a holder never hands over a chain verifiers refuse.
 */
public final class Attenuation {

    private static final int MAX_ACTOR = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Attenuation() {
    }

    /** Whether {@code action} on every resource {@code resource} matches is within {@code parent}. */
    public static boolean within(List<VerifiedToken.Grant> parent, ResourcePattern resource, String action) {
        for (VerifiedToken.Grant g : parent) {
            if (g.resource().covers(resource) && g.actions().contains(action)) {
                return true;
            }
        }
        return false;
    }

    /** The first "action on resource" of {@code child} not within {@code parent}, or empty when it only narrows. */
    public static Optional<String> outside(List<VerifiedToken.Grant> parent, List<VerifiedToken.Grant> child) {
        for (VerifiedToken.Grant g : child) {
            for (String action : new TreeSet<>(g.actions())) {
                if (!within(parent, g.resource(), action)) {
                    return Optional.of("'" + action + "' on '" + g.resource() + "'");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * What the holder hands on.
     *
     * @param actor      the next holder's identity ({@code act.sub})
     * @param nextHolder the next holder's public key ({@code cnf.jkt} is its thumbprint)
     * @param audience   null for the previous element's (then the link leaves {@code aud} out)
     * @param grants     null for the previous element's (then the link leaves {@code authorization_details} out)
     * @param ttl        null to end with the previous element; never past it
     */
    public record Step(String actor, JWK nextHolder, String audience, List<VerifiedToken.Grant> grants, Duration ttl) {
    }

    /**
     * Appends a link to {@code credential} (a bound Signet token or a chain), signed by {@code holderKey}. Nothing
     * is fetched: the root's signature is the verifier's business; this checks what the holder controls.
     *
     * @param holderKey the private key the credential's last element binds (EC P-256: ES256, RSA: PS256,
     *                  Ed25519: EdDSA, only with Tink on the class path, as Nimbus needs for it)
     * @return the longer chain
     * @throws Rejected {@code malformed}, {@code delegation_not_allowed} (the root carries no
     *                  {@value Chain#MAX_DEPTH_CLAIM}), {@code wrong_signer} (not the bound key), {@code too_deep},
     *                  {@code widened} or {@code expired}; nothing is signed then
     */
    public static String attenuate(String credential, JWK holderKey, Step step, Clock clock) {
        List<String> parts = Chain.split(credential.strip());
        JWTClaimsSet root = claims(parts.getFirst());
        JWTClaimsSet last = claims(parts.getLast());
        int cap = ChainVerifier.cap(root);
        int depth = depthOf(root) + parts.size();
        if (depth > cap) {
            throw new Rejected("too_deep", "the next link would be at depth " + depth + ", past the root's cap of " + cap);
        }
        String boundJkt = cnf(last);
        if (holderKey == null || !holderKey.isPrivate() || !DpopVerifier.thumbprint(holderKey.toPublicJWK()).equals(boundJkt)) {
            throw new Rejected("wrong_signer", "the holder key is not the private key the credential binds (cnf.jkt " + boundJkt + ")");
        }
        if (step.actor() == null || step.actor().isBlank() || step.actor().length() > MAX_ACTOR) {
            throw new Rejected("malformed", "the actor is a non-empty string of at most " + MAX_ACTOR + " characters");
        }
        if (step.nextHolder() == null) {
            throw new Rejected("malformed", "the next holder's public key is required: every link is bound");
        }
        String audience = effective(parts, "aud", Attenuation::string);
        if (step.audience() != null && !audience(audience).covers(audience(step.audience()))) {
            throw new Rejected("widened", "audience " + step.audience() + " is not within " + audience);
        }
        List<VerifiedToken.Grant> previous = effective(parts, "authorization_details",
                (c, name) -> TokenVerifier.grants(c.getClaim(name)));
        if (step.grants() != null) {
            Optional<String> wider = outside(previous, step.grants());
            if (wider.isPresent()) {
                throw new Rejected("widened", wider.get() + " is not within the credential's authorization_details");
            }
        }
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant notAfter = last.getExpirationTime().toInstant();
        Instant exp = step.ttl() == null || now.plus(step.ttl()).isAfter(notAfter) ? notAfter : now.plus(step.ttl());
        if (!exp.isAfter(now)) {
            throw new Rejected("expired", "the credential has expired; nothing can be delegated from it");
        }

        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        // What does not narrow is left out (the verifier keeps the previous element's): a chain stays compact.
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id))
                .issueTime(Date.from(now)).expirationTime(Date.from(exp))
                .claim("act", Map.of("sub", step.actor()))
                .claim("cnf", Map.of("jkt", DpopVerifier.thumbprint(step.nextHolder().toPublicJWK())))
                .claim(Chain.PREV_CLAIM, Chain.hash(parts.getLast()));
        if (step.audience() != null && !step.audience().equals(audience)) {
            claims.audience(step.audience());
        }
        if (step.grants() != null) {
            List<Map<String, Object>> details = new ArrayList<>();
            for (VerifiedToken.Grant g : step.grants()) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("type", TokenVerifier.DETAIL_TYPE);
                d.put("identifier", g.resource().toString());
                d.put("actions", List.copyOf(new TreeSet<>(g.actions())));
                details.add(d);
            }
            claims.claim("authorization_details", details);
        }
        SignedJWT link = new SignedJWT(new JWSHeader.Builder(algorithm(holderKey)).type(new JOSEObjectType(Chain.LINK_TYPE))
                .jwk(holderKey.toPublicJWK()).build(), claims.build());
        try {
            link.sign(signer(holderKey));
        } catch (JOSEException e) {
            throw new Rejected("malformed", "the holder key cannot sign: " + e.getMessage());
        } catch (LinkageError e) {
            // Nimbus signs Ed25519 through Tink, which Signet does not ship; verifiers need it too
            throw new Rejected("unsupported_alg", "an Ed25519 holder key needs Tink on the class path, here and at every"
                    + " verifier; use an EC P-256 (ES256) or RSA (PS256) key");
        }
        List<String> longer = new ArrayList<>(parts);
        longer.add(link.serialize());
        return Chain.join(longer);
    }

    /** The claim's value in force at the chain's end: the last element that states it. */
    private static <T> T effective(List<String> parts, String name, java.util.function.BiFunction<JWTClaimsSet, String, T> read) {
        for (String element : parts.reversed()) {
            JWTClaimsSet c = claims(element);
            if (c.getClaim(name) != null) {
                return read.apply(c, name);
            }
        }
        throw new Rejected("bad_claims", "the root has no " + name);
    }

    static JWTClaimsSet claims(String element) {
        try {
            JWTClaimsSet claims = Signatures.parseJwt(element).getJWTClaimsSet();
            if (claims == null || claims.getExpirationTime() == null) {
                throw new Rejected("malformed", "every element of a chain is a JWS with exp");
            }
            return claims;
        } catch (ParseException e) {
            throw new Rejected("malformed", "every element of a chain is a compact JWS with a JSON claims set");
        }
    }

    static int depthOf(JWTClaimsSet claims) {
        Object d = claims.getClaim("signet_depth");
        if (d == null) {
            return 0;
        }
        if (!(d instanceof Number n) || n.longValue() < 1 || n.longValue() > TokenVerifier.MAX_DEPTH) {
            throw new Rejected("bad_claims", "signet_depth must be 1.." + TokenVerifier.MAX_DEPTH);
        }
        return n.intValue();
    }

    static String cnf(JWTClaimsSet claims) {
        if (!(claims.getClaim("cnf") instanceof Map<?, ?> m) || !(m.get("jkt") instanceof String jkt) || jkt.isEmpty()) {
            throw new Rejected("delegation_not_allowed", "only a bound credential (cnf.jkt) can be delegated offline");
        }
        return jkt;
    }

    static String string(JWTClaimsSet claims, String name) {
        Object v = claims.getClaim(name);
        if (v instanceof List<?> l && l.size() == 1) {
            v = l.getFirst();
        }
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new Rejected("bad_claims", "the chain element has no " + name);
        }
        return s;
    }

    static AudiencePattern audience(String text) {
        try {
            return AudiencePattern.parse(text);
        } catch (GrammarException e) {
            throw new Rejected("bad_claims", "an aud is outside the grammar: " + e.getMessage());
        }
    }

    private static JWSAlgorithm algorithm(JWK key) {
        if (key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
            return JWSAlgorithm.ES256;
        }
        if (key instanceof RSAKey) {
            return JWSAlgorithm.PS256;
        }
        if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            return JWSAlgorithm.EdDSA;
        }
        throw new Rejected("unsupported_alg", "a holder key is EC P-256, RSA or Ed25519");
    }

    private static JWSSigner signer(JWK key) throws JOSEException {
        return switch (key) {
            case ECKey ec -> new ECDSASigner(ec);
            case RSAKey rsa -> new RSASSASigner(rsa);
            case OctetKeyPair okp -> new Ed25519Signer(okp);
            default -> throw new JOSEException("unsupported key type " + key.getKeyType());
        };
    }
}
