package dev.signet.issuance;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a minter asks for. Everything else in the token (iss, iat, nbf, exp, jti, kid, client_id)
 * is Signet's to fill in and cannot be requested.
 *
 * @param task an optional task id, carried as the {@code task} claim
 */
public record TokenRequest(String subject, String audience, Duration ttl, List<ScopeItem> scope, Optional<String> task) {

    public TokenRequest {
        scope = List.copyOf(scope);
    }
}
