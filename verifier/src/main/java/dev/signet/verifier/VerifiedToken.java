package dev.signet.verifier;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.signet.grammar.ResourcePattern;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Signet token whose signature, issuer, audience, type and times have been checked.
 *
 * @param actors   the delegation chain from {@code act} (RFC 8693 §4.1): the current actor first, the first
 *                 delegate last; empty for a token a minter asked for
 * @param depth    {@code signet_depth}: 0 for a minted token, n for the n-th exchange
 * @param boundJkt {@code cnf.jkt} when the token is bound to a key (then every use needs a DPoP proof)
 */
public record VerifiedToken(String token, String subject, String audience, String clientId, String jti,
                            Optional<String> task, Instant expiresAt, List<Grant> grants, List<String> actors,
                            int depth, Optional<String> parentJti, Optional<String> boundJkt, JWTClaimsSet claims) {

    /** One {@code authorization_details} entry: a resource or pattern, and the actions allowed on it. */
    public record Grant(ResourcePattern resource, Set<String> actions) {
        public Grant {
            actions = Set.copyOf(actions);
        }
    }

    public VerifiedToken {
        grants = List.copyOf(grants);
        actors = List.copyOf(actors);
    }

    /**
     * Whether this token allows {@code action} on {@code resource}, with the grammar's matching (the same
     * {@link ResourcePattern} the issuer's policy and attenuation use). Proof of possession is not checked here.
     */
    public Decision allows(String resource, String action) {
        return allows(grants, resource, action);
    }

    static Decision allows(List<Grant> grants, String resource, String action) {
        boolean resourceGranted = false;
        for (Grant g : grants) {
            if (g.resource().matches(resource)) {
                resourceGranted = true;
                if (g.actions().contains(action)) {
                    return Decision.allow();
                }
            }
        }
        return resourceGranted
                ? Decision.deny("action_not_granted", "the token does not allow '" + action + "' on " + resource)
                : Decision.deny("resource_not_granted", "the token does not cover " + resource);
    }

    @Override
    public String toString() {
        return "VerifiedToken[sub=" + subject + ", aud=" + audience + ", client_id=" + clientId + ", jti=" + jti
                + ", depth=" + depth + ", actors=" + actors + "]";
    }
}
