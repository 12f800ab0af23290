package dev.signet.verifier;

/**
 * Whether a verified token is still in force by its issuer's status list (draft-ietf-oauth-status-list). A chained
 * credential is checked through its root only: revoking the root (its bit, or a rule on its task, agent or minter,
 * which sets the bits) ends every chain under it, which the issuer never saw. {@code statusListCache::check}
 * ({@link StatusListCache#check(VerifiedToken)}) is the one to use.
 */
@FunctionalInterface
public interface StatusCheck {

    /** For verifiers that accept revoked tokens until they expire; say so where it is used. */
    StatusCheck UNCHECKED = token -> {
    };

    /**
     * @throws Rejected {@code revoked} when the token's status bit is set; {@code status_unavailable} when its
     *                  list cannot be fetched or verified (fail closed); {@code bad_status} for a malformed claim
     */
    void check(VerifiedToken token);
}
