package dev.signet.issuance;

import dev.signet.revocation.StatusRef;

import java.time.Instant;

/** A signed compact JWS and what the caller (and the audit trail) needs to know about it; {@code status} may be null. */
public record MintedToken(String token, String kid, String jti, Instant issuedAt, Instant expiresAt,
                          StatusRef status) {
}
