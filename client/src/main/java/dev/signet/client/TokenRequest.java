package dev.signet.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * "A token for agent {@code sub}, audience {@code aud}, these resources and actions, for {@code ttl}".
 * Signet fills in everything else and refuses what the minter's policy does not allow.
 */
public record TokenRequest(String sub, String aud, Duration ttl, List<Scope> scope, String task, String jkt) {

    /** One resource and the actions on it. */
    public record Scope(String resource, List<String> actions) {
        public Scope {
            Objects.requireNonNull(resource, "resource");
            actions = List.copyOf(actions);
        }
    }

    public TokenRequest {
        Objects.requireNonNull(sub, "sub");
        Objects.requireNonNull(aud, "aud");
        Objects.requireNonNull(ttl, "ttl");
        scope = List.copyOf(scope);
    }

    /** An unbound (bearer) token request. */
    public TokenRequest(String sub, String aud, Duration ttl, List<Scope> scope, String task) {
        this(sub, aud, ttl, scope, task, null);
    }

    public static Builder builder(String sub, String aud) {
        return new Builder(sub, aud);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sub", sub);
        m.put("aud", aud);
        m.put("ttl", ttl.toSeconds());
        List<Object> items = new ArrayList<>();
        for (Scope s : scope) {
            items.add(Map.of("resource", s.resource(), "actions", s.actions()));
        }
        m.put("scope", items);
        if (task != null) {
            m.put("task", task);
        }
        if (jkt != null) {
            m.put("cnf", Map.of("jkt", jkt));
        }
        return m;
    }

    public static final class Builder {
        private final String sub;
        private final String aud;
        private Duration ttl = Duration.ofMinutes(10);
        private final List<Scope> scope = new ArrayList<>();
        private String task;

        private Builder(String sub, String aud) {
            this.sub = sub;
            this.aud = aud;
        }

        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        public Builder allow(String resource, String... actions) {
            scope.add(new Scope(resource, List.of(actions)));
            return this;
        }

        private String jkt;

        public Builder task(String task) {
            this.task = task;
            return this;
        }

        /**
         * Binds the token to the agent's key (RFC 7800 {@code cnf.jkt}, its RFC 7638 thumbprint): services then want
         * a DPoP proof by that key, and a token exchange wants one too ({@link ExchangeRequest.Builder#proofKey}).
         */
        public Builder boundTo(com.nimbusds.jose.jwk.JWK agentKey) {
            this.jkt = Proofs.thumbprint(agentKey);
            return this;
        }

        public TokenRequest build() {
            return new TokenRequest(sub, aud, ttl, scope, task, jkt);
        }
    }
}
