package dev.signet.store.postgres;

import dev.signet.rotation.KeyIntent;
import dev.signet.rotation.KeySet;
import dev.signet.rotation.KeySetCodec;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.SubkeySet;
import dev.signet.spi.SignetException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One issuer's journal in PostgreSQL, for replicas on several hosts.
 *
 * <p>The {@linkplain #lock() lock} is a lease in {@code signet.lease}: one row per issuer naming the holding
 * replica, a token for this acquisition, an expiry on the database's clock and an epoch that grows with each
 * acquisition. {@link #compareAndSet} writes only in a transaction that locks the lease row and finds this
 * acquisition still holding it, unexpired, and records the epoch with the journal; a writer that lost its
 * lease (paused past the expiry, cut off, or superseded) fails, so it can never overwrite a newer journal.
 * Each write notifies the other replicas ({@code NOTIFY signet_journal}); see {@link #subscribe}.
 *
 * <p>Threads of one process take turns on a local lock first, as with {@code FileLifecycleStore}.
 */
public final class PostgresLifecycleStore implements LifecycleStore {

    private static final System.Logger LOG = System.getLogger(PostgresLifecycleStore.class.getName());

    private final PostgresStore db;
    private final String issuer;
    private final ReentrantLock threads = new ReentrantLock();
    private Lease held;

    /** One acquisition of the lease. */
    private record Lease(long epoch, UUID token) {
    }

    /** Who holds the lease now (null: nobody), what the journal is at, and each replica's last read of it. */
    public record Status(long journalVersion, String writtenBy, Instant writtenAt, String leaseHolder,
                         long leaseEpoch, Instant leaseExpires, java.util.List<ReplicaRead> replicas) {
    }

    /** The journal version a replica last read, and when (the database's clock). */
    public record ReplicaRead(String replica, long journalVersion, Instant readAt) {
    }

    PostgresLifecycleStore(PostgresStore db, String issuer) {
        this.db = db;
        this.issuer = issuer;
    }

    /**
     * This issuer's revocation rules and published status lists, in the same database.
     *
     * @param adoptAfter how long a replica goes unseen before a survivor adopts its status lists
     */
    public PostgresStatusStore statuses(java.time.Duration adoptAfter) {
        return new PostgresStatusStore(db, issuer, adoptAfter);
    }

    @Override
    public KeySet load() {
        return db.inTransaction("read the key journal of " + issuer, c -> {
            KeySet set = KeySet.empty();
            try (PreparedStatement s = c.prepareStatement("SELECT version, body FROM signet.journal WHERE issuer = ?")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        set = decode(r.getLong(1), r.getString(2));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.replica (issuer, replica_id, journal_version, read_at)
                    VALUES (?, ?, ?, clock_timestamp())
                    ON CONFLICT (issuer, replica_id) DO UPDATE
                    SET journal_version = excluded.journal_version, read_at = excluded.read_at""")) {
                s.setString(1, issuer);
                s.setString(2, db.replica().value());
                s.setLong(3, set.version());
                s.executeUpdate();
            }
            return set;
        });
    }

    private KeySet decode(long version, String body) {
        KeySet set;
        try {
            set = KeySetCodec.decode(body);
        } catch (RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged key journal of " + issuer
                    + " in signet.journal: " + e.getMessage(), e);
        }
        if (set.version() != version) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged key journal of " + issuer
                    + " in signet.journal: the row says version " + version + ", the journal " + set.version());
        }
        return set;
    }

    @Override
    public void compareAndSet(long expectedVersion, KeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next version " + next.version() + " does not follow " + expectedVersion);
        }
        String body = KeySetCodec.encode(next);
        Lock lock = lock();
        try {
            Lease lease = held;
            db.inTransaction("write the key journal of " + issuer, c -> {
                requireLease(c, lease);
                int written;
                if (expectedVersion == 0) {
                    try (PreparedStatement s = c.prepareStatement("""
                            INSERT INTO signet.journal (issuer, version, body, lease_epoch, written_by, written_at)
                            VALUES (?, ?, ?, ?, ?, clock_timestamp()) ON CONFLICT (issuer) DO NOTHING""")) {
                        s.setString(1, issuer);
                        s.setLong(2, next.version());
                        s.setString(3, body);
                        s.setLong(4, lease.epoch());
                        s.setString(5, db.replica().value());
                        written = s.executeUpdate();
                    }
                } else {
                    // The epoch condition is the fencing token: no write from an older lease than the last one.
                    try (PreparedStatement s = c.prepareStatement("""
                            UPDATE signet.journal SET version = ?, body = ?, lease_epoch = ?, written_by = ?,
                                   written_at = clock_timestamp()
                            WHERE issuer = ? AND version = ? AND lease_epoch <= ?""")) {
                        s.setLong(1, next.version());
                        s.setString(2, body);
                        s.setLong(3, lease.epoch());
                        s.setString(4, db.replica().value());
                        s.setString(5, issuer);
                        s.setLong(6, expectedVersion);
                        s.setLong(7, lease.epoch());
                        written = s.executeUpdate();
                    }
                }
                if (written != 1) {
                    throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key journal of " + issuer
                            + " is no longer at version " + expectedVersion + "; another replica wrote it");
                }
                if (expectedVersion == 0) {
                    try (PreparedStatement s = c.prepareStatement("""
                            INSERT INTO signet.issuer (issuer, started_by, started_at)
                            VALUES (?, ?, clock_timestamp()) ON CONFLICT (issuer) DO NOTHING""")) {
                        s.setString(1, issuer);
                        s.setString(2, db.replica().value());
                        s.executeUpdate();
                    }
                }
                extend(c, lease);
                try (PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                    s.setString(1, PostgresStore.CHANNEL);
                    s.setString(2, PostgresStore.payload(issuer, next.version()));
                    s.execute();
                }
                return null;
            });
        } finally {
            lock.close();
        }
    }

    /** Proof jtis seen by every replica of this issuer (DPoP replay refusal across replicas). */
    public PostgresProofJtis proofJtis() {
        return new PostgresProofJtis(db, issuer);
    }

    /** Each replica's latest audit checkpoint head for this issuer. */
    public PostgresAuditHeads auditHeads() {
        return new PostgresAuditHeads(db, issuer);
    }

    /** A row in {@code signet.issuer}, written with the first journal and never removed by Signet. */
    @Override
    public boolean issuerStarted() {
        return db.inTransaction("read whether " + issuer + " was started", c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT EXISTS (SELECT 1 FROM signet.issuer WHERE issuer = ?)
                        OR EXISTS (SELECT 1 FROM signet.journal WHERE issuer = ?)""")) {
                s.setString(1, issuer);
                s.setString(2, issuer);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getBoolean(1);
                }
            }
        });
    }

    /** Fenced like the journal: a replica that lost the lease cannot record an intent, so never makes the call. */
    @Override
    public void recordIntent(KeyIntent intent) {
        Lock lock = lock();
        try {
            Lease lease = held;
            db.inTransaction("journal an intent for " + issuer, c -> {
                requireLease(c, lease);
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO signet.key_intent (issuer, id, line, lease_epoch, written_by, written_at)
                        VALUES (?, ?, ?, ?, ?, clock_timestamp())""")) {
                    s.setString(1, issuer);
                    s.setString(2, intent.id());
                    s.setString(3, intent.encode());
                    s.setLong(4, lease.epoch());
                    s.setString(5, db.replica().value());
                    s.executeUpdate();
                }
                extend(c, lease);
                return null;
            });
        } finally {
            lock.close();
        }
    }

    @Override
    public List<KeyIntent> intents() {
        return db.inTransaction("read the intents of " + issuer, c -> {
            List<KeyIntent> all = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT line FROM signet.key_intent WHERE issuer = ? ORDER BY written_at, id")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        try {
                            all.add(KeyIntent.decode(r.getString(1)));
                        } catch (IllegalArgumentException e) {
                            throw new SignetException(SignetException.Code.INTERNAL, "damaged row in"
                                    + " signet.key_intent for " + issuer + ": " + e.getMessage(), e);
                        }
                    }
                }
            }
            return all;
        });
    }

    @Override
    public void clearIntent(String id) {
        db.inTransaction("clear an intent of " + issuer, c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM signet.key_intent WHERE issuer = ? AND id = ?")) {
                s.setString(1, issuer);
                s.setString(2, id);
                return s.executeUpdate();
            }
        });
    }

    @Override
    public java.util.Map<String, SubkeySet> loadSubkeys() {
        return db.inTransaction("read the subkeys of " + issuer, c -> {
            java.util.Map<String, SubkeySet> all = new java.util.TreeMap<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT replica_id, version, body FROM signet.subkeys WHERE issuer = ?")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        SubkeySet set;
                        try {
                            set = SubkeySet.decode(r.getString(3));
                        } catch (RuntimeException e) {
                            throw new SignetException(SignetException.Code.INTERNAL, "damaged subkey journal of"
                                    + " replica " + r.getString(1) + " of " + issuer + " in signet.subkeys: "
                                    + e.getMessage() + "; restore the row from a backup, or delete it if its"
                                    + " subkeys' tokens have all expired", e);
                        }
                        if (set.version() != r.getLong(2)) {
                            throw new SignetException(SignetException.Code.INTERNAL, "damaged subkey journal of"
                                    + " replica " + r.getString(1) + " of " + issuer + ": the row says version "
                                    + r.getLong(2) + ", the journal " + set.version());
                        }
                        all.put(r.getString(1), set);
                    }
                }
            }
            return all;
        });
    }

    @Override
    public boolean deleteSubkeys(String replica, long version) {
        return db.inTransaction("delete the subkeys of " + replica + " for " + issuer, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM signet.subkeys WHERE issuer = ? AND replica_id = ? AND version = ?")) {
                s.setString(1, issuer);
                s.setString(2, replica);
                s.setLong(3, version);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Without the lease: the row is this replica's alone; the version check catches a second process. */
    @Override
    public void compareAndSetSubkeys(String replica, long expectedVersion, SubkeySet next) {
        if (!replica.equals(db.replica().value())) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "replica " + db.replica()
                    + " may write only its own subkeys, not " + replica + "'s");
        }
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next subkey version " + next.version() + " does not follow " + expectedVersion);
        }
        String body = next.encode();
        db.inTransaction("write the subkeys of " + replica + " for " + issuer, c -> {
            int written;
            if (expectedVersion == 0) {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO signet.subkeys (issuer, replica_id, version, body, written_at)
                        VALUES (?, ?, ?, ?, clock_timestamp()) ON CONFLICT (issuer, replica_id) DO NOTHING""")) {
                    s.setString(1, issuer);
                    s.setString(2, replica);
                    s.setLong(3, next.version());
                    s.setString(4, body);
                    written = s.executeUpdate();
                }
            } else {
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE signet.subkeys SET version = ?, body = ?, written_at = clock_timestamp()
                        WHERE issuer = ? AND replica_id = ? AND version = ?""")) {
                    s.setLong(1, next.version());
                    s.setString(2, body);
                    s.setString(3, issuer);
                    s.setString(4, replica);
                    s.setLong(5, expectedVersion);
                    written = s.executeUpdate();
                }
            }
            if (written != 1) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "the subkeys of replica "
                        + replica + " of " + issuer + " are no longer at version " + expectedVersion
                        + " (another process runs as replica " + replica + "?)");
            }
            try (PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                s.setString(1, PostgresStore.CHANNEL);
                s.setString(2, PostgresStore.payload(issuer, 0));
                s.execute();
            }
            return null;
        });
    }

    /** Every fenced write renews the lease: a change of several writes (intent, key, journal) keeps it throughout. */
    private void extend(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE signet.lease SET expires_at = clock_timestamp() + ? * interval '1 millisecond'
                WHERE issuer = ? AND token = ?""")) {
            s.setLong(1, db.settings().leaseTtl().toMillis());
            s.setString(2, issuer);
            s.setObject(3, lease.token());
            s.executeUpdate();
        }
    }

    /** Locks the lease row for this transaction and checks that {@code lease} still holds it. */
    private void requireLease(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT epoch, holder, token = ? AND expires_at > clock_timestamp(), expires_at <= clock_timestamp()
                FROM signet.lease WHERE issuer = ? FOR UPDATE""")) {
            s.setObject(1, lease.token());
            s.setString(2, issuer);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next() || !r.getBoolean(3)) {
                    String now = r.getRow() == 0 ? "no lease"
                            : r.getBoolean(4) ? "expired: the change took longer than the lease ttl "
                            + db.settings().leaseTtl() : "epoch " + r.getLong(1) + " held by " + r.getString(2);
                    throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "replica " + db.replica()
                            + " lost the writer's lease of " + issuer + " (its epoch " + lease.epoch() + ", now "
                            + now + "); nothing was written");
                }
            }
        }
    }

    /**
     * Takes the writer's lease, waiting while another replica holds it (at most its ttl plus a margin: a
     * holder that died stops holding it when it expires).
     *
     * @throws SignetException UNAVAILABLE (with a retry-after) if the database cannot be reached or another
     *                         replica keeps the lease
     */
    @Override
    public Lock lock() {
        threads.lock();
        if (threads.getHoldCount() > 1) {
            return this::release;
        }
        try {
            held = acquire();
        } catch (RuntimeException e) {
            threads.unlock();
            throw e;
        }
        return this::release;
    }

    private Lease acquire() {
        Duration ttl = db.settings().leaseTtl();
        long deadline = System.nanoTime() + ttl.plusSeconds(10).toNanos();
        long pauseMillis = 10;
        while (true) {
            UUID token = UUID.randomUUID();
            Optional<Long> epoch = db.inTransaction("take the writer's lease of " + issuer, c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO signet.lease AS l (issuer, epoch, holder, token, acquired_at, expires_at)
                        VALUES (?, 1, ?, ?, clock_timestamp(), clock_timestamp() + ? * interval '1 millisecond')
                        ON CONFLICT (issuer) DO UPDATE
                        SET epoch = l.epoch + 1, holder = excluded.holder, token = excluded.token,
                            acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
                        WHERE l.token IS NULL OR l.expires_at <= clock_timestamp()
                        RETURNING epoch""")) {
                    s.setString(1, issuer);
                    s.setString(2, db.replica().value());
                    s.setObject(3, token);
                    s.setLong(4, ttl.toMillis());
                    try (ResultSet r = s.executeQuery()) {
                        return r.next() ? Optional.of(r.getLong(1)) : Optional.<Long>empty();
                    }
                }
            });
            if (epoch.isPresent()) {
                return new Lease(epoch.get(), token);
            }
            if (System.nanoTime() > deadline) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "another replica has held the writer's"
                        + " lease of " + issuer + " for over " + ttl.plusSeconds(10) + " (" + status().leaseHolder()
                        + ")", Duration.ofSeconds(5), null);
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted waiting for the lease", e);
            }
            pauseMillis = Math.min(200, pauseMillis * 2);
        }
    }

    private void release() {
        try {
            if (threads.getHoldCount() == 1 && held != null) {
                Lease lease = held;
                held = null;
                try {
                    db.inTransaction("release the writer's lease of " + issuer, c -> {
                        try (PreparedStatement s = c.prepareStatement("""
                                UPDATE signet.lease SET token = NULL, expires_at = clock_timestamp()
                                WHERE issuer = ? AND token = ?""")) {
                            s.setString(1, issuer);
                            s.setObject(2, lease.token());
                            return s.executeUpdate();
                        }
                    });
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot release the writer''s lease of {0}; it expires"
                            + " by itself: {1}", issuer, e.getMessage());
                }
            }
        } finally {
            threads.unlock();
        }
    }

    @Override
    public Subscription subscribe(Runnable onChange) {
        return db.subscribe(issuer, onChange);
    }

    @Override
    public Optional<String> degraded() {
        return db.degraded();
    }

    /** The journal's version and writer, and the lease's holder (null when free), as the database has them. */
    public Status status() {
        return db.inTransaction("read the status of " + issuer, c -> {
            long version = 0;
            String writtenBy = null;
            Instant writtenAt = null;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT version, written_by, written_at FROM signet.journal WHERE issuer = ?")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        version = r.getLong(1);
                        writtenBy = r.getString(2);
                        writtenAt = r.getTimestamp(3).toInstant();
                    }
                }
            }
            java.util.List<ReplicaRead> reads = new java.util.ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT replica_id, journal_version, read_at FROM signet.replica WHERE issuer = ?
                    ORDER BY replica_id""")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        reads.add(new ReplicaRead(r.getString(1), r.getLong(2), r.getTimestamp(3).toInstant()));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT CASE WHEN token IS NOT NULL AND expires_at > clock_timestamp() THEN holder END,
                           epoch, expires_at FROM signet.lease WHERE issuer = ?""")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        return new Status(version, writtenBy, writtenAt, r.getString(1), r.getLong(2),
                                r.getTimestamp(3).toInstant(), reads);
                    }
                }
            }
            return new Status(version, writtenBy, writtenAt, null, 0, null, reads);
        });
    }

    @Override
    public String toString() {
        return "PostgresLifecycleStore[" + issuer + ", replica " + db.replica() + "]";
    }
}
