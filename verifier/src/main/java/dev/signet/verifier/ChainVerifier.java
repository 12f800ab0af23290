package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Verifies a presented credential offline: a Signet token, or a chain of links an agent and its sub-agents signed
 * themselves ({@link Chain}). The root verifies as any token ({@link TokenVerifier}, issuer's published keys, with
 * its status checked). Each link must: be spelled one way (canonical compact JWS); be typed
 * {@value Chain#LINK_TYPE}; hash the element before it ({@code signet_prev}, so links cannot be dropped, reordered
 * or spliced from another chain); be signed by the key the element before it binds (thumbprint of its header
 * {@code jwk} = the previous {@code cnf.jkt}); sit (by its position after the root's {@code signet_depth}) within
 * {@code min(5, root's signet_max_depth)}; not outlive the element before it and not have expired ({@code exp},
 * {@code iat}: whole seconds); and only narrow: {@code aud} covered by the previous one, every (resource, action)
 * within the previous grants ({@link Attenuation#within}); a link without {@code aud} or
 * {@code authorization_details} keeps the previous. Use needs a DPoP proof by the last link's key with {@code ath}
 * over the whole presented credential.
 */
public final class ChainVerifier {

    /** 9999-12-31T23:59:59Z. */
    private static final long MAX_SECONDS = 253_402_300_799L;

    private final String audience;
    private final TokenVerifier tokens;
    private final TokenVerifier roots;
    private final Clock clock;
    private final Duration skew;
    private final DpopVerifier dpop;
    private final StatusCheck status;

    /**
     * @param audience this service's audience, compared exactly with the final element's; null verifies without
     *                 (a tool that only inspects a chain)
     * @param status   the issuer's status lists; {@link StatusCheck#UNCHECKED} only where revocation may be ignored
     */
    public ChainVerifier(String issuer, String audience, KeySource keys, Clock clock, Duration skew, DpopVerifier dpop,
                         StatusCheck status) {
        this.audience = audience;
        this.tokens = new TokenVerifier(issuer, audience, keys, clock, skew, dpop);
        this.roots = new TokenVerifier(issuer, null, keys, clock, skew, dpop);
        this.clock = clock;
        this.skew = skew;
        this.dpop = dpop;
        this.status = status;
    }

    /**
     * Verifies the credential and decides whether its final holder may do {@code action} on {@code resource}; a
     * bound credential needs {@code request}'s DPoP proof, signed by the final holder's key, {@code ath} over the
     * whole credential.
     */
    public Decision authorize(String credential, TokenVerifier.Request request, String resource, String action) {
        try {
            VerifiedChain chain = verify(credential);
            if (chain.boundJkt().isPresent()) {
                dpop.check(request == null ? null : request.dpopProof(), request == null ? "" : request.method(),
                        request == null ? "" : request.uri(), credential, chain.boundJkt().get());
            }
            return chain.allows(resource, action);
        } catch (Rejected e) {
            return Decision.deny(e.reason(), e.getMessage());
        }
    }

    /**
     * @throws Rejected with a {@link TokenVerifier#verify} reason for the root, {@code revoked} or
     *                  {@code status_unavailable} from the status check, or for a link: {@code malformed},
     *                  {@code wrong_typ}, {@code broken_chain} (hash of the previous element differs: dropped,
     *                  reordered or spliced), {@code wrong_signer}, {@code unsupported_alg}, {@code bad_signature},
     *                  {@code delegation_not_allowed} (root unbound or without {@value Chain#MAX_DEPTH_CLAIM}),
     *                  {@code too_deep}, {@code widened}, {@code expired}, {@code not_yet_valid}, {@code bad_claims},
     *                  and {@code wrong_audience} for the final element
     */
    public VerifiedChain verify(String credential) {
        List<String> parts = Chain.split(credential);
        if (parts.size() == 1) {
            VerifiedToken token = tokens.verify(credential);
            status.check(token);
            return new VerifiedChain(credential, token, List.of());
        }
        VerifiedToken root = roots.verify(parts.getFirst());
        if (root.boundJkt().isEmpty()) {
            throw new Rejected("delegation_not_allowed", "the root token is not bound (cnf.jkt); only bound tokens start a chain");
        }
        int cap = Math.min(TokenVerifier.MAX_DEPTH, cap(root.claims()));
        Instant now = clock.instant();
        List<VerifiedChain.Link> links = new ArrayList<>();
        String prevAud = root.audience();
        String prevJkt = root.boundJkt().get();
        List<VerifiedToken.Grant> prevGrants = root.grants();
        Instant prevExp = root.expiresAt();
        int depth = root.depth();
        for (int i = 1; i < parts.size(); i++) {
            String where = "link " + i;
            SignedJWT jws;
            JWTClaimsSet c;
            try {
                jws = Signatures.parseJwt(parts.get(i));
                c = jws.getJWTClaimsSet();
            } catch (ParseException e) {
                throw new Rejected("malformed", where + " is not a compact JWS with a JSON claims set");
            }
            if (!Signatures.canonical(parts.get(i), jws)) {
                throw new Rejected("malformed", where + " is not a compact JWS in canonical base64url (no whitespace,"
                        + " padding or stray bits)");
            }
            if (!new JOSEObjectType(Chain.LINK_TYPE).equals(jws.getHeader().getType())) {
                throw new Rejected("wrong_typ", where + " does not have typ " + Chain.LINK_TYPE);
            }
            if (!Chain.hash(parts.get(i - 1)).equals(c.getClaim(Chain.PREV_CLAIM))) {
                throw new Rejected("broken_chain", where + "'s " + Chain.PREV_CLAIM + " is not the hash of the element"
                        + " before it: links were dropped, reordered or taken from another chain");
            }
            JWK signer = jws.getHeader().getJWK();
            if (signer == null || signer.isPrivate()) {
                throw new Rejected("malformed", where + " carries the public key that signs it as 'jwk' in its header");
            }
            String signerJkt = DpopVerifier.thumbprint(signer);
            if (!signerJkt.equals(prevJkt)) {
                throw new Rejected("wrong_signer", where + " is signed by a key other than the one the element before it binds");
            }
            Signatures.verify(jws, signer, where);
            depth++;
            if (depth > cap) {
                throw new Rejected("too_deep", where + " is at depth " + depth + ", past the root's cap of " + cap);
            }
            Map<String, Object> json = jws.getPayload().toJSONObject();
            Instant exp = seconds(json, "exp", where);
            Instant iat = seconds(json, "iat", where);
            if (c.getJWTID() == null || c.getJWTID().isEmpty()) {
                throw new Rejected("bad_claims", where + " needs jti, iat and exp");
            }
            if (exp.isAfter(prevExp)) {
                throw new Rejected("widened", where + " outlives the element before it");
            }
            if (!now.isBefore(exp.plus(skew))) {
                throw new Rejected("expired", where + " has expired");
            }
            if (now.plus(skew).isBefore(iat)) {
                throw new Rejected("not_yet_valid", where + " is issued in the future");
            }
            String aud = prevAud;
            if (c.getClaim("aud") != null) {
                aud = Attenuation.string(c, "aud");
                if (!Attenuation.audience(prevAud).covers(Attenuation.audience(aud))) {
                    throw new Rejected("widened", where + "'s aud is not within the element before it");
                }
            }
            List<VerifiedToken.Grant> grants = prevGrants;
            if (c.getClaim("authorization_details") != null) {
                grants = TokenVerifier.grants(c.getClaim("authorization_details"));
                Optional<String> wider = Attenuation.outside(prevGrants, grants);
                if (wider.isPresent()) {
                    throw new Rejected("widened", where + " widens the element before it: " + wider.get());
                }
            }
            String jkt = jkt(c, where);
            links.add(new VerifiedChain.Link(c.getJWTID(), actor(c, where), aud, iat, exp,
                    depth, grants, signerJkt, jkt));
            prevAud = aud;
            prevJkt = jkt;
            prevGrants = grants;
            prevExp = exp;
        }
        if (audience != null && !audience.equals(prevAud)) {
            throw new Rejected("wrong_audience", "the chain is for " + prevAud + ", not " + audience);
        }
        status.check(root);
        return new VerifiedChain(credential, root, links);
    }

    /**
     * The root's {@value Chain#MAX_DEPTH_CLAIM}: issuance writes it into bound tokens whose minter may delegate,
     * since an offline verifier cannot read the minter's policy.
     */
    static int cap(JWTClaimsSet root) {
        Object c = root.getClaim(Chain.MAX_DEPTH_CLAIM);
        if (c == null) {
            throw new Rejected("delegation_not_allowed", "the root token carries no " + Chain.MAX_DEPTH_CLAIM
                    + ": it is not bound, or its minter's policy does not allow delegation");
        }
        if (!(c instanceof Number n) || n.longValue() < 1 || n.longValue() > TokenVerifier.MAX_DEPTH) {
            throw new Rejected("bad_claims", Chain.MAX_DEPTH_CLAIM + " must be 1.." + TokenVerifier.MAX_DEPTH);
        }
        return n.intValue();
    }

    /**
     * A link's {@code exp} or {@code iat} as its JSON states it, in whole seconds up to the year 9999. Nimbus's
     * {@code Date} truncates a fraction and wraps a number past 2^63 ms into range, so a link could outlive its
     * parent by less than a second, or by aeons, for any verifier that reads the number as written.
     */
    private static Instant seconds(Map<String, Object> json, String name, String where) {
        if (!(json.get(name) instanceof Long s) || s < 0 || s > MAX_SECONDS) {
            throw new Rejected("bad_claims", where + " needs jti, iat and exp (" + name + " in whole seconds since"
                    + " the epoch, before the year 10000)");
        }
        return Instant.ofEpochSecond(s);
    }

    private static String jkt(JWTClaimsSet c, String where) {
        if (!(c.getClaim("cnf") instanceof Map<?, ?> m) || !(m.get("jkt") instanceof String jkt) || jkt.isEmpty()) {
            throw new Rejected("bad_claims", where + " binds no next holder (cnf.jkt)");
        }
        return jkt;
    }

    private static String actor(JWTClaimsSet c, String where) {
        if (!(c.getClaim("act") instanceof Map<?, ?> m) || !(m.get("sub") instanceof String sub) || sub.isEmpty()
                || sub.length() > 1024 || m.size() != 1) {
            throw new Rejected("bad_claims", where + "'s act is {sub: the next holder}");
        }
        return sub;
    }
}
