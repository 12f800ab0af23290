package dev.signet.issuance;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a minter asks for. Everything else in the token (iss, iat, nbf, exp, jti, kid, client_id)
 * is Signet's to fill in and cannot be requested.
 *
 * @param task     an optional task id, carried as the {@code task} claim
 * @param boundJkt the RFC 7638 thumbprint of the key the token is bound to, carried as {@code cnf.jkt}
 *                 (RFC 9449 / RFC 7800); empty for a bearer token
 */
public record TokenRequest(String subject, String audience, Duration ttl, List<ScopeItem> scope, Optional<String> task,
                           Optional<String> boundJkt) {

    public TokenRequest {
        scope = List.copyOf(scope);
    }

    /** A bearer token's request. */
    public TokenRequest(String subject, String audience, Duration ttl, List<ScopeItem> scope, Optional<String> task) {
        this(subject, audience, ttl, scope, task, Optional.empty());
    }
}
