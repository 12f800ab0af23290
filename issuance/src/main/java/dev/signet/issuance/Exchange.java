package dev.signet.issuance;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONArrayUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;
import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;
import dev.signet.rotation.KeyRing;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;
import dev.signet.verifier.Attenuation;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.PlainJson;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.ProofReplays;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.Signatures;
import dev.signet.verifier.TokenVerifier;
import dev.signet.verifier.VerifiedToken;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Token exchange (RFC 8693): a Signet token is exchanged for a narrower child that names the sub-agent in
 * {@code act}. The rules, in order: the parent verifies (this issuer, a key published now, unexpired); its minter
 * still exists and its current policy allows delegation; the caller proves possession of the parent's key with a
 * DPoP proof whose {@code ath} hashes the parent (bound parents only, unless the policy allows unbound); the actor
 * is named ({@code actor}) or proven ({@code actor_token}, whose key the child is bound to); the child is no wider
 * than the parent (grammar containment per resource and action, the same audience, {@code exp} ≤ the parent's,
 * depth ≤ the cap) and within the minter's current policy; then it is signed and audited like any token.
 * Anything wider is refused, never narrowed.
 */
public final class Exchange {

    public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
    public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    public static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
    /** No chain is longer, whatever a policy says. */
    public static final int HARD_MAX_DEPTH = TokenVerifier.MAX_DEPTH;
    /** How far a DPoP proof's or actor token's {@code iat} may be from now; jtis are remembered twice as long. */
    public static final Duration PROOF_WINDOW = Duration.ofSeconds(60);

    static final Set<String> PARAMETERS = Set.of("grant_type", "subject_token", "subject_token_type", "audience",
            "authorization_details", "requested_ttl", "actor", "actor_token", "actor_token_type", "requested_token_type");
    private static final int MAX_STRING = 1024;

    private final Issuance issuance;
    private final Minters minters;
    private final TokenVerifier parents;
    private final DpopVerifier proofs;
    private final ProofReplays replays;
    private final Signatures signatures;

    /** Proof and actor-token jtis remembered in this process only: for one replica, or replicas on one host's file store. */
    public Exchange(Issuance issuance, Minters minters) {
        this(issuance, minters, new ReplayCache(issuance.clock(), 1_000_000));
    }

    /**
     * Signatures checked by the JDK.
     *
     * @param replays where proof and actor-token jtis are remembered; shared by the replicas behind one endpoint
     */
    public Exchange(Issuance issuance, Minters minters, ProofReplays replays) {
        this(issuance, minters, replays, Signatures.jdk());
    }

    /**
     * @param replays    where proof and actor-token jtis are remembered; shared by the replicas behind one endpoint
     * @param signatures checks the parent's, the DPoP proof's and the actor token's signatures (the daemon's: ES256
     *                   through OpenSSL when it can be used)
     */
    public Exchange(Issuance issuance, Minters minters, ProofReplays replays, Signatures signatures) {
        this.issuance = issuance;
        this.minters = minters;
        this.replays = replays;
        this.signatures = signatures;
        this.proofs = new DpopVerifier(issuance.clock(), PROOF_WINDOW, replays, signatures);
        KeyRing ring = issuance.keyRing();
        this.parents = new TokenVerifier(issuance.issuer(), null, kid -> published(ring, kid), issuance.clock(),
                Duration.ZERO, proofs).withSignatures(signatures);
    }

    /** Who checks the exchanged tokens' signatures. */
    public Signatures signatures() {
        return signatures;
    }

    /** A child token and whether it is bound ({@code token_type} DPoP) or bearer. */
    public record Result(MintedToken token, boolean bound, int depth) {
    }

    /**
     * @param form      the request's form parameters, each given once
     * @param dpopProof the {@code DPoP} header, or null
     * @param htu       the endpoint's URL as clients address it (the issuer's {@code /v1/token-exchange})
     * @throws ExchangeException when refused (also audited)
     * @throws SignetException   UNAVAILABLE when no key may sign or the audit trail cannot record
     */
    public Result exchange(Map<String, String> form, String dpopProof, String htu) {
        Map<String, Object> known = new HashMap<>(); // what the refusal's audit record can say
        try {
            return exchange(form, dpopProof, htu, known);
        } catch (ExchangeException e) {
            refused(form, known, e);
            throw e;
        }
    }

    private Result exchange(Map<String, String> form, String dpopProof, String htu, Map<String, Object> known) {
        for (String name : form.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new ExchangeException(ExchangeException.INVALID_REQUEST, "unknown parameter '" + name + "'; "
                        + (name.equals("resource") || name.equals("scope") ? "narrow with authorization_details" : "allowed: " + PARAMETERS));
            }
        }
        if (!GRANT_TYPE.equals(form.get("grant_type"))) {
            throw new ExchangeException(form.containsKey("grant_type") ? ExchangeException.UNSUPPORTED_GRANT_TYPE
                    : ExchangeException.INVALID_REQUEST, "grant_type must be " + GRANT_TYPE);
        }
        String subjectToken = required(form, "subject_token");
        if (!ACCESS_TOKEN_TYPE.equals(form.get("subject_token_type"))) {
            throw invalidRequest("subject_token_type must be " + ACCESS_TOKEN_TYPE);
        }
        if (form.containsKey("requested_token_type") && !ACCESS_TOKEN_TYPE.equals(form.get("requested_token_type"))) {
            throw invalidRequest("requested_token_type can only be " + ACCESS_TOKEN_TYPE);
        }

        VerifiedToken parent;
        try {
            parent = parents.verify(subjectToken);
        } catch (Rejected e) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT, "the subject_token is not valid here: " + e.getMessage());
        }
        known.put("client_id", parent.clientId());
        known.put("parent_jti", parent.jti());
        known.put("depth", parent.depth() + 1);
        Minter minter = null;
        for (Minter m : minters.all()) {
            if (m.name().equals(parent.clientId())) {
                minter = m;
                break;
            }
        }
        if (minter == null) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT, "the subject_token's minter is no longer configured");
        }
        MinterPolicy.Delegation delegation = minter.policy().delegation();
        if (!delegation.enabled()) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT, "the minter's policy does not allow delegation");
        }
        if (parent.boundJkt().isPresent()) {
            try {
                proofs.check(dpopProof, "POST", htu, subjectToken, parent.boundJkt().get());
            } catch (Rejected e) {
                throw new ExchangeException(ExchangeException.INVALID_GRANT,
                        "possession of the subject_token's key is not proven (" + e.reason() + "): " + e.getMessage());
            }
        } else if (!delegation.allowUnbound()) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT,
                    "the subject_token is not bound to a key (cnf.jkt); the minter's policy only allows exchanging bound tokens");
        }

        Actor actor = actor(form);
        int depth = parent.depth() + 1;
        int cap = Math.min(delegation.maxDepth(), HARD_MAX_DEPTH);
        if (depth > cap) {
            throw invalidTarget("the child would be at depth " + depth + ", past this minter's cap of " + cap);
        }
        String audience = form.getOrDefault("audience", parent.audience());
        try {
            MinterPolicy.audience(audience);
        } catch (SignetException e) {
            throw invalidRequest(e.getMessage());
        }
        if (!audience.equals(parent.audience())) {
            throw invalidTarget("audience '" + audience + "' is not the subject_token's audience");
        }
        List<ScopeItem> scope = form.containsKey("authorization_details") ? details(form.get("authorization_details"))
                : parentScope(parent);
        withinParent(parent.grants(), scope);
        Instant now = issuance.clock().instant().truncatedTo(ChronoUnit.SECONDS);
        long left = parent.expiresAt().getEpochSecond() - now.getEpochSecond();
        if (left < TokenIssuer.MIN_LIFETIME.toSeconds()) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT, "the subject_token expires now");
        }
        // Unrequested, the child lives as long as the parent has left, within the current max-ttl; a requested ttl
        // past either is refused below, never shortened.
        long ttl = Math.min(left, minter.policy().maxTtl().toSeconds());
        if (form.containsKey("requested_ttl")) {
            ttl = ttl(form.get("requested_ttl"));
            if (ttl > left) {
                throw invalidTarget("requested_ttl " + ttl + "s outlives the subject_token, which has " + left + "s left");
            }
        }
        TokenRequest request = new TokenRequest(parent.subject(), audience, Duration.ofSeconds(ttl), scope,
                parent.task(), actor.jkt());
        try {
            minter.policy().check(request);
        } catch (SignetException e) {
            throw invalidTarget("the minter's current policy does not allow this: " + e.getMessage());
        }

        List<String> actors = new ArrayList<>();
        actors.add(actor.id());
        actors.addAll(parent.actors());
        refuseRevoked(parent);
        issuance.quotas().take(minter, 1);
        KeyRing.SigningSlot slot = issuance.keyRing().signingSlot();
        MintedToken token;
        try {
            token = issuance.tokenIssuer().issue(slot.key(), parent.clientId(), request, slot.publishedUntil(),
                    new TokenIssuer.Chain(actors, parent.jti(), depth, parent.expiresAt()), issuance.statusLists(),
                    maxDepth(minter.policy()));
        } catch (SignetException e) {
            if (e.code() != SignetException.Code.PERMISSION_DENIED) {
                throw e;
            }
            throw new ExchangeException(ExchangeException.INVALID_GRANT, e.getMessage()); // a rule made meanwhile
        }
        List<Map<String, Object>> audited = new ArrayList<>(scope.size());
        for (ScopeItem item : scope) {
            audited.add(Map.of("resource", item.resource(), "actions", item.actions()));
        }
        AuditTrail.Receipt receipt = issuance.audit().append(AuditEvent.of("exchange").put("jti", token.jti())
                .put("parent_jti", parent.jti()).put("depth", depth).put("actor", actor.id()).put("actors", actors)
                .put("iat", token.issuedAt().getEpochSecond()).put("exp", token.expiresAt().getEpochSecond())
                .put("sub", parent.subject()).put("aud", audience).put("client_id", parent.clientId())
                .put("task", parent.task().orElse(null)).put("scope", audited).put("kid", token.kid())
                .put("cnf_jkt", actor.jkt().orElse(null)).put("actor_proven", actor.jkt().isPresent())
                .put("status_list", token.status().list()).put("status_idx", token.status().idx()).build());
        receipt.await();
        return new Result(token, actor.jkt().isPresent(), depth);
    }

    /** A revoked parent (its bit, or a rule on its task, agent, minter or jti) has no children. */
    private void refuseRevoked(VerifiedToken parent) {
        try {
            issuance.statusLists().checkMinting(parent.clientId(), parent.subject(), parent.task().orElse(null),
                    parent.jti());
            Object status = parent.claims().getClaim("status");
            if (status instanceof Map<?, ?> m && m.get("status_list") instanceof Map<?, ?> sl
                    && sl.get("idx") instanceof Number idx && sl.get("uri") instanceof String uri
                    && issuance.statusLists().isRevoked(uri, idx.intValue())) {
                throw new SignetException(SignetException.Code.PERMISSION_DENIED, "the subject token is revoked");
            }
        } catch (SignetException e) {
            throw new ExchangeException(ExchangeException.INVALID_GRANT, e.getMessage());
        }
    }

    /** The {@code signet_max_depth} a bound token of this minter carries: its cap, or 0 when it may not delegate. */
    static int maxDepth(MinterPolicy policy) {
        return policy.delegation().enabled() ? Math.min(policy.delegation().maxDepth(), HARD_MAX_DEPTH) : 0;
    }

    /**
     * Attenuation: each action of each child resource must be held by one parent grant whose resource covers the
     * child's ({@link Attenuation#within}, the rule offline chains are verified with), so the child can never reach a
     * (resource, action) its parent cannot.
     *
     * @throws ExchangeException invalid_target naming the first pair outside the parent
     */
    static void withinParent(List<VerifiedToken.Grant> parent, List<ScopeItem> child) {
        for (ScopeItem item : child) {
            ResourcePattern resource = ResourcePattern.parse(item.resource());
            for (String action : item.actions()) {
                if (!Attenuation.within(parent, resource, action)) {
                    throw invalidTarget("'" + action + "' on '" + item.resource() + "' is not within the subject_token's authorization_details");
                }
            }
        }
    }

    /** The sub-agent: named, or proven by its own short JWT whose key the child is bound to. */
    private record Actor(String id, Optional<String> jkt) {
    }

    private Actor actor(Map<String, String> form) {
        boolean named = form.containsKey("actor");
        boolean proven = form.containsKey("actor_token");
        if (named == proven) {
            throw invalidRequest("name the sub-agent with exactly one of actor or actor_token");
        }
        if (named) {
            return new Actor(required(form, "actor"), Optional.empty());
        }
        if (!JWT_TYPE.equals(form.get("actor_token_type"))) {
            throw invalidRequest("actor_token_type must be " + JWT_TYPE);
        }
        JWTClaimsSet claims;
        String jkt;
        try {
            Signatures.SelfSigned read = signatures.checkSelfSigned(form.get("actor_token"), null, "actor_token");
            claims = JWTClaimsSet.parse(read.payload());
            jkt = read.keyThumbprint();
        } catch (ParseException e) {
            throw invalidRequest("actor_token is not a compact JWS with a JSON claims set");
        } catch (Rejected e) {
            throw invalidRequest(switch (e.reason()) {
                case "malformed", "payload" -> "actor_token is not a compact JWS with a JSON claims set";
                case "no_key" -> "actor_token carries the sub-agent's public key as 'jwk' in its header";
                default -> e.getMessage();
            });
        }
        String sub = claims.getSubject();
        if (sub == null || sub.isBlank() || sub.length() > MAX_STRING) {
            throw invalidRequest("actor_token's sub names the sub-agent: a non-empty string up to " + MAX_STRING + " characters");
        }
        if (!List.of(issuance.issuer()).equals(claims.getAudience())) {
            throw invalidRequest("actor_token's aud must be " + issuance.issuer());
        }
        Instant now = issuance.clock().instant();
        if (claims.getIssueTime() == null || claims.getIssueTime().toInstant().isBefore(now.minus(PROOF_WINDOW))
                || claims.getIssueTime().toInstant().isAfter(now.plus(PROOF_WINDOW))) {
            throw invalidRequest("actor_token's iat must be within " + PROOF_WINDOW.toSeconds() + "s of now");
        }
        if (claims.getExpirationTime() != null && !now.isBefore(claims.getExpirationTime().toInstant())) {
            throw invalidRequest("actor_token has expired");
        }
        String jti = claims.getJWTID();
        if (jti == null || jti.isEmpty() || jti.length() > 256) {
            throw invalidRequest("actor_token needs a jti");
        }
        if (!replays.firstUse("actor " + jkt + ' ' + jti, claims.getIssueTime().toInstant().plus(PROOF_WINDOW).plus(PROOF_WINDOW))) {
            throw invalidRequest("this actor_token was used before; sign a new one per exchange");
        }
        return new Actor(sub, Optional.of(jkt));
    }

    /** {@code authorization_details} as RFC 9396 JSON, in the shape Signet puts in tokens. */
    static List<ScopeItem> details(String json) {
        List<Object> list = PlainJson.array(json); // Nimbus' reading where this one declines: the same values
        if (list == null) {
            try {
                list = JSONArrayUtils.parse(json);
            } catch (ParseException e) {
                throw invalidRequest("authorization_details must be a JSON array");
            }
        }
        if (list == null) {
            throw invalidRequest("authorization_details must be a JSON array"); // gson reads "null" as no list at all
        }
        if (list.isEmpty() || list.size() > 64) {
            throw invalidRequest("authorization_details holds 1..64 entries");
        }
        List<ScopeItem> scope = new ArrayList<>();
        for (Object d : list) {
            if (!(d instanceof Map<?, ?> m) || !TokenIssuer.DETAIL_TYPE.equals(m.get("type"))
                    || !(m.get("identifier") instanceof String id) || !(m.get("actions") instanceof List<?> actions)
                    || actions.isEmpty() || m.size() != 3) {
                throw invalidRequest("each authorization_details entry is {\"type\": \"" + TokenIssuer.DETAIL_TYPE
                        + "\", \"identifier\", \"actions\": [...]} and nothing else");
            }
            try {
                ResourcePattern.parse(id);
            } catch (GrammarException e) {
                throw invalidRequest("authorization_details: " + e.getMessage());
            }
            List<String> names = new ArrayList<>();
            for (Object a : actions) {
                if (!(a instanceof String s) || s.isBlank() || s.length() > MAX_STRING) {
                    throw invalidRequest("actions are non-empty strings");
                }
                names.add(s);
            }
            scope.add(new ScopeItem(id, names));
        }
        return scope;
    }

    private static List<ScopeItem> parentScope(VerifiedToken parent) {
        List<ScopeItem> scope = new ArrayList<>();
        for (VerifiedToken.Grant g : parent.grants()) {
            scope.add(new ScopeItem(g.resource().toString(), List.copyOf(new java.util.TreeSet<>(g.actions()))));
        }
        return scope;
    }

    private static long ttl(String text) {
        if (!text.matches("[1-9][0-9]{0,8}")) {
            throw invalidRequest("requested_ttl must be a positive whole number of seconds");
        }
        return Long.parseLong(text);
    }

    /** The JWKs of the keys the ring published when they were last built; rebuilt when it publishes others. */
    private record PublishedJwks(List<SigningKey> keys, Map<String, JWK> byKid) {
    }

    private volatile PublishedJwks publishedJwks = new PublishedJwks(List.of(), Map.of());

    /**
     * The public JWK of {@code kid} while the ring publishes it. Built once per published key, not per exchange:
     * a subkey's JWK carries its certificate chain, which Nimbus parses and checks against the key on every build.
     */
    private JWK published(KeyRing ring, String kid) {
        List<SigningKey> now = ring.published();
        PublishedJwks cached = publishedJwks;
        if (!sameKeys(cached.keys(), now)) {
            Map<String, JWK> byKid = new HashMap<>();
            for (SigningKey key : now) {
                byKid.put(key.id(), Jwks.publicJwk(key));
            }
            cached = new PublishedJwks(List.copyOf(now), Map.copyOf(byKid));
            publishedJwks = cached;
        }
        return cached.byKid().get(kid);
    }

    private static boolean sameKeys(List<SigningKey> a, List<SigningKey> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private void refused(Map<String, String> form, Map<String, Object> known, ExchangeException e) {
        try {
            AuditEvent.Builder event = AuditEvent.of("exchange_refusal").put("error", e.error())
                    .put("detail", e.getMessage()).put("actor", form.get("actor"));
            known.forEach(event::put);
            issuance.audit().append(event.build());
        } catch (SignetException unavailable) {
            // refused anyway; a failing trail is reported through readiness
        }
    }

    private static String required(Map<String, String> form, String name) {
        String v = form.get(name);
        if (v == null || v.isBlank()) {
            throw invalidRequest(name + " is required");
        }
        if (v.length() > 16 * 1024 || (name.equals("actor") && v.length() > MAX_STRING)) {
            throw invalidRequest(name + " is too long");
        }
        return v;
    }

    private static ExchangeException invalidRequest(String description) {
        return new ExchangeException(ExchangeException.INVALID_REQUEST, description);
    }

    private static ExchangeException invalidTarget(String description) {
        return new ExchangeException(ExchangeException.INVALID_TARGET, description);
    }
}
