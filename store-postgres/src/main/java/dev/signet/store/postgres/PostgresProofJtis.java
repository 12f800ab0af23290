package dev.signet.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * DPoP proof and actor-token identifiers seen by any replica of an issuer, in {@code signet.proof_jti}, so a
 * proof replayed to another replica is refused there too (RFC 9449 §11.1). One {@code INSERT … ON CONFLICT} per
 * exchange of a bound token; minting never comes here. An entry past its expiry may be taken again; expired rows
 * are deleted at most once a minute by whichever replica passes by.
 */
public final class PostgresProofJtis {

    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

    private final PostgresStore db;
    private final String issuer;
    private final AtomicLong nextSweep = new AtomicLong(System.nanoTime());

    PostgresProofJtis(PostgresStore db, String issuer) {
        this.db = db;
        this.issuer = issuer;
    }

    /**
     * True the first time any replica presents {@code id} before {@code expires}; false for a replay.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if the database cannot be reached (fail closed: the
     *                                           exchange is refused with 503, never let through unchecked)
     */
    public boolean firstUse(String id, Instant expires) {
        long now = System.nanoTime();
        long due = nextSweep.get();
        boolean sweep = now - due >= 0 && nextSweep.compareAndSet(due, now + SWEEP_EVERY.toNanos());
        return db.inTransaction("check a proof jti of " + issuer, c -> {
            if (sweep) {
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM signet.proof_jti WHERE issuer = ? AND expires_at < clock_timestamp()")) {
                    s.setString(1, issuer);
                    s.executeUpdate();
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.proof_jti AS p (issuer, id, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (issuer, id) DO UPDATE SET expires_at = excluded.expires_at
                    WHERE p.expires_at <= clock_timestamp()
                    RETURNING 1""")) {
                s.setString(1, issuer);
                s.setString(2, id);
                s.setTimestamp(3, Timestamp.from(expires));
                try (ResultSet r = s.executeQuery()) {
                    return r.next();
                }
            }
        });
    }
}
