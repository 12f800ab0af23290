package dev.signet.store.postgres;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Each replica's latest audit checkpoint head, kept in {@code signet.audit_head} so that an auditor can tell a log
 * whose tail was cut from one torn by a crash ({@code signet audit verify --heads-from}). Written off the signing
 * path: {@link #publish} hands the head to a virtual thread and returns; only the newest pending head is written,
 * and a head never replaces a later one. A failed write is logged and retried with the next checkpoint.
 */
public final class PostgresAuditHeads {

    private static final System.Logger LOG = System.getLogger(PostgresAuditHeads.class.getName());

    /** A checkpoint: its sequence number, the chain head it signs, its time and its JWS, as the log has them. */
    public record Head(String replica, long seq, String head, String time, String jws) {
    }

    private final PostgresStore db;
    private final String issuer;
    private final AtomicReference<Head> pending = new AtomicReference<>();

    PostgresAuditHeads(PostgresStore db, String issuer) {
        this.db = db;
        this.issuer = issuer;
    }

    /** Writes {@code head} soon, on another thread; never blocks and never throws. */
    public void publish(Head head) {
        if (pending.getAndSet(head) == null) {
            Thread.ofVirtual().name("signet-audit-head").start(this::drain);
        }
    }

    private void drain() {
        Head h;
        while ((h = pending.get()) != null) {
            try {
                write(h);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "audit checkpoint head seq {0} not written to PostgreSQL; the"
                        + " next checkpoint retries: {1}", h.seq(), e.getMessage());
            }
            if (pending.compareAndSet(h, null)) {
                return;
            }
        }
    }

    /** Writes {@code head} now, unless the store already has a later one for its replica. */
    public void write(Head head) {
        db.inTransaction("write the audit head of " + head.replica(), c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.audit_head AS a (issuer, replica_id, seq, head, checkpoint_time, jws, written_at)
                    VALUES (?, ?, ?, ?, ?, ?, clock_timestamp())
                    ON CONFLICT (issuer, replica_id) DO UPDATE
                    SET seq = excluded.seq, head = excluded.head, checkpoint_time = excluded.checkpoint_time,
                        jws = excluded.jws, written_at = excluded.written_at
                    WHERE a.seq < excluded.seq""")) {
                s.setString(1, issuer);
                s.setString(2, head.replica());
                s.setLong(3, head.seq());
                s.setString(4, head.head());
                s.setString(5, head.time());
                s.setString(6, head.jws());
                return s.executeUpdate();
            }
        });
    }

    /** The latest head of every replica of this issuer, by replica id. */
    public Map<String, Head> latest() {
        return db.inTransaction("read the audit heads of " + issuer, c -> {
            Map<String, Head> heads = new LinkedHashMap<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT replica_id, seq, head, checkpoint_time, jws FROM signet.audit_head
                    WHERE issuer = ? ORDER BY replica_id""")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        heads.put(r.getString(1), new Head(r.getString(1), r.getLong(2), r.getString(3),
                                r.getString(4), r.getString(5)));
                    }
                }
            }
            return heads;
        });
    }
}
