package dev.signet.client;

import com.nimbusds.jose.jwk.JWK;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An RFC 8693 token exchange: the holder of {@code subjectToken} asks for a narrower child for a sub-agent. Give
 * keys ({@link Builder#proofKey}, {@link Builder#actor(String, JWK)}) and the client signs a fresh DPoP proof and
 * actor token per attempt, so it can retry; a proof or actor token you built yourself is sent once and never retried
 * (Signet refuses a replayed {@code jti}).
 */
public final class ExchangeRequest {

    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";

    final String subjectToken;
    final JWK proofKey;
    final String dpop;
    final String actor;
    final JWK actorKey;
    final String actorToken;
    final String audience;
    final List<TokenRequest.Scope> scope;
    final Duration requestedTtl;

    private ExchangeRequest(Builder b) {
        subjectToken = b.subjectToken;
        proofKey = b.proofKey;
        dpop = b.dpop;
        actor = b.actor;
        actorKey = b.actorKey;
        actorToken = b.actorToken;
        audience = b.audience;
        scope = List.copyOf(b.scope);
        requestedTtl = b.requestedTtl;
    }

    public static Builder builder(String subjectToken) {
        return new Builder(subjectToken);
    }

    /** True when every one-time value is made per attempt, so a 503 may be retried. */
    boolean repeatable() {
        return dpop == null && actorToken == null;
    }

    /** The form parameters (the DPoP proof goes in a header). */
    Map<String, String> form(String issuer, java.time.Instant now) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("grant_type", GRANT_TYPE);
        f.put("subject_token", subjectToken);
        f.put("subject_token_type", ACCESS_TOKEN_TYPE);
        if (audience != null) {
            f.put("audience", audience);
        }
        if (!scope.isEmpty()) {
            List<Object> details = new ArrayList<>();
            for (TokenRequest.Scope s : scope) {
                details.add(Map.of("type", "signet_resource", "identifier", s.resource(), "actions", s.actions()));
            }
            f.put("authorization_details", com.nimbusds.jose.util.JSONArrayUtils.toJSONString(details));
        }
        if (requestedTtl != null) {
            f.put("requested_ttl", Long.toString(requestedTtl.toSeconds()));
        }
        if (actorKey != null) {
            f.put("actor_token", Proofs.actorToken(actorKey, actor, issuer, now));
            f.put("actor_token_type", JWT_TYPE);
        } else if (actorToken != null) {
            f.put("actor_token", actorToken);
            f.put("actor_token_type", JWT_TYPE);
        } else if (actor != null) {
            f.put("actor", actor);
        }
        return f;
    }

    String dpop(String htu, java.time.Instant now) {
        return proofKey != null ? Proofs.dpop(proofKey, htu, subjectToken, now) : dpop;
    }

    @Override
    public String toString() {
        return "ExchangeRequest[actor=" + actor + ", audience=" + audience + ", scope=" + scope + ", requestedTtl="
                + requestedTtl + "]";
    }

    public static final class Builder {
        private final String subjectToken;
        private JWK proofKey;
        private String dpop;
        private String actor;
        private JWK actorKey;
        private String actorToken;
        private String audience;
        private final List<TokenRequest.Scope> scope = new ArrayList<>();
        private Duration requestedTtl;

        private Builder(String subjectToken) {
            this.subjectToken = Objects.requireNonNull(subjectToken, "subjectToken");
        }

        /** The private key the subject token is bound to; a fresh DPoP proof is signed with it per attempt. */
        public Builder proofKey(JWK key) {
            this.proofKey = key;
            return this;
        }

        /** A DPoP proof you built ({@link Proofs#dpop}); sent once, not retried. */
        public Builder dpop(String proof) {
            this.dpop = proof;
            return this;
        }

        /** The sub-agent's id; the child is a bearer token whose {@code act} is asserted, not proven. */
        public Builder actor(String actor) {
            this.actor = actor;
            return this;
        }

        /** The sub-agent's id and its private key: the child is bound to that key (actor token signed per attempt). */
        public Builder actor(String actor, JWK actorKey) {
            this.actor = actor;
            this.actorKey = actorKey;
            return this;
        }

        /** An actor token you built ({@link Proofs#actorToken}); sent once, not retried. */
        public Builder actorToken(String jwt) {
            this.actorToken = jwt;
            return this;
        }

        /** Optional: the parent's audience (a child keeps it). */
        public Builder audience(String audience) {
            this.audience = audience;
            return this;
        }

        /** Narrow the child to these resources and actions (RFC 9396 {@code authorization_details}); absent: the parent's. */
        public Builder allow(String resource, String... actions) {
            scope.add(new TokenRequest.Scope(resource, List.of(actions)));
            return this;
        }

        /** Absent: as long as the parent has left. */
        public Builder requestedTtl(Duration ttl) {
            this.requestedTtl = ttl;
            return this;
        }

        /** @throws IllegalStateException when both a key and a prebuilt value are given for the proof or the actor */
        public ExchangeRequest build() {
            if (proofKey != null && dpop != null) {
                throw new IllegalStateException("give the proof key or a prebuilt DPoP proof, not both");
            }
            if (actorToken != null && (actor != null || actorKey != null)) {
                throw new IllegalStateException("give the actor (and its key) or a prebuilt actor token, not both");
            }
            return new ExchangeRequest(this);
        }
    }
}
