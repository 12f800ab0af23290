package dev.signet.store.postgres;

import dev.signet.revocation.SharedStatus;
import dev.signet.revocation.StatusLists;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One issuer's revocation rules and published status lists in PostgreSQL: {@code signet.revocation} (one row
 * per rule, in {@code seq} order) and {@code signet.status_list} (each list's signed bytes, as its owner last
 * published them, with a {@code version} from one sequence). A rule's commit notifies the other replicas on the
 * journal's channel; they also poll. For adoption: {@code signet.status_block} (each list's token facts, one
 * row per block of indices), {@code signet.status_replica} (when each replica was last seen, and who adopted
 * it) and {@code signet.status_adoption} (which replica signs a list in place of its dead owner).
 */
public final class PostgresStatusStore implements SharedStatus {

    /** Long enough for a restart or a long GC pause; short enough that a dead replica's tokens soon revocable. */
    public static final Duration DEFAULT_ADOPT_AFTER = Duration.ofMinutes(2);
    /** Facts read per sync when adopting: a 10-million-token replica is adopted over tens of seconds. */
    private static final int BLOCKS_PER_READ = 256;

    private final PostgresStore db;
    private final String issuer;
    private final Duration adoptAfter;

    PostgresStatusStore(PostgresStore db, String issuer, Duration adoptAfter) {
        this.db = db;
        this.issuer = issuer;
        this.adoptAfter = adoptAfter;
    }

    @Override
    public long append(StatusLists.Rule rule) {
        return db.inTransaction("store a revocation rule of " + issuer, c -> {
            long seq;
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.revocation (issuer, id, kind, value, reason, created, expires, replica_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq""")) {
                s.setString(1, issuer);
                s.setString(2, rule.id());
                s.setString(3, rule.kind().name());
                s.setString(4, rule.value());
                s.setString(5, rule.reason());
                s.setTimestamp(6, Timestamp.from(rule.created()));
                s.setTimestamp(7, Timestamp.from(rule.expires()));
                s.setString(8, db.replica().value());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    seq = r.getLong(1);
                }
            }
            notifyOthers(c);
            return seq;
        });
    }

    @Override
    public List<SharedRule> rules() {
        return db.inTransaction("read the revocation rules of " + issuer, c -> {
            List<SharedRule> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT seq, id, kind, value, reason, created, expires FROM signet.revocation
                    WHERE issuer = ? AND expires > now() ORDER BY seq""")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        StatusLists.Kind kind;
                        try {
                            kind = StatusLists.Kind.valueOf(r.getString(3));
                        } catch (IllegalArgumentException e) {
                            continue; // written by a newer Signet
                        }
                        out.add(new SharedRule(r.getLong(1), new StatusLists.Rule(r.getString(2), kind,
                                r.getString(4), r.getString(5), r.getTimestamp(6).toInstant(),
                                r.getTimestamp(7).toInstant(), 0)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void publish(String id, byte[] body, String etag, java.time.Instant exp) {
        db.inTransaction("publish the status list " + id, c -> {
            // A list another replica adopted is never overwritten by its former owner.
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.status_list (issuer, id, body, etag, exp, replica_id, version)
                    SELECT ?, ?, ?, ?, ?, ?, nextval('signet.status_list_version')
                    WHERE NOT EXISTS (SELECT 1 FROM signet.status_adoption a
                                      WHERE a.issuer = ? AND a.list_id = ? AND a.signer <> ?)
                    ON CONFLICT (issuer, id) DO UPDATE SET body = excluded.body, etag = excluded.etag,
                        exp = excluded.exp, replica_id = excluded.replica_id, version = excluded.version""")) {
                s.setString(1, issuer);
                s.setString(2, id);
                s.setBytes(3, body);
                s.setString(4, etag);
                s.setTimestamp(5, Timestamp.from(exp));
                s.setString(6, db.replica().value());
                s.setString(7, issuer);
                s.setString(8, id);
                s.setString(9, db.replica().value());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM signet.status_list WHERE issuer = ? AND exp < now() - interval '1 day'")) {
                s.setString(1, issuer);
                s.executeUpdate();
            }
            notifyOthers(c);
            return null;
        });
    }

    @Override
    public List<PublishedList> changedLists(java.util.Map<String, String> known) {
        return db.inTransaction("read the status lists of " + issuer, c -> {
            List<String> changed = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT id, etag FROM signet.status_list WHERE issuer = ? AND exp > now()")) {
                s.setString(1, issuer);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        if (!r.getString(2).equals(known.get(r.getString(1)))) {
                            changed.add(r.getString(1));
                        }
                    }
                }
            }
            List<PublishedList> out = new ArrayList<>();
            if (changed.isEmpty()) {
                return out;
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT id, body, etag, exp, version FROM signet.status_list
                    WHERE issuer = ? AND id = ANY (?)""")) {
                s.setString(1, issuer);
                s.setArray(2, c.createArrayOf("text", changed.toArray()));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new PublishedList(r.getString(1), r.getBytes(2), r.getString(3),
                                r.getTimestamp(4).toInstant(), r.getLong(5)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void subscribe(Runnable onChange) {
        db.subscribe(issuer, onChange);
    }

    @Override
    public void addCovered(String id, int n) {
        db.inTransaction("count what revocation rule " + id + " covered", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE signet.revocation SET covered = covered + ? WHERE issuer = ? AND id = ?")) {
                s.setLong(1, n);
                s.setString(2, issuer);
                s.setString(3, id);
                return s.executeUpdate();
            }
        });
    }

    @Override
    public long covered(String id) {
        return db.inTransaction("read what revocation rule " + id + " covered", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT covered FROM signet.revocation WHERE issuer = ? AND id = ?")) {
                s.setString(1, issuer);
                s.setString(2, id);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getLong(1) : 0L;
                }
            }
        });
    }

    @Override
    public void writeBlocks(List<Block> blocks) {
        db.inTransaction("store the facts of " + blocks.size() + " status list blocks", c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.status_block (issuer, list_id, block, owner, exp, facts, version)
                    VALUES (?, ?, ?, ?, ?, ?, nextval('signet.status_block_version'))
                    ON CONFLICT (issuer, list_id, block) DO UPDATE SET facts = excluded.facts,
                        exp = excluded.exp, version = excluded.version""")) {
                for (Block b : blocks) {
                    s.setString(1, issuer);
                    s.setString(2, b.list());
                    s.setInt(3, b.block());
                    s.setString(4, db.replica().value());
                    s.setTimestamp(5, Timestamp.from(b.exp()));
                    s.setBytes(6, b.facts());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
    }

    @Override
    public Set<String> heartbeat(Instant now) {
        String me = db.replica().value();
        return db.inTransaction("record that replica " + me + " of " + issuer + " is alive", c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.status_replica (issuer, replica_id, seen_at) VALUES (?, ?, ?)
                    ON CONFLICT (issuer, replica_id) DO UPDATE SET seen_at = excluded.seen_at,
                        adopted_by = NULL, adopted_at = NULL""")) {
                s.setString(1, issuer);
                s.setString(2, me);
                s.setTimestamp(3, Timestamp.from(now));
                s.executeUpdate();
            }
            // Locked in one order and skipping rows another survivor is adopting: one adopter per dead replica.
            List<String> dead = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT replica_id FROM signet.status_replica
                    WHERE issuer = ? AND replica_id <> ? AND adopted_by IS NULL AND seen_at < ?
                    ORDER BY replica_id FOR UPDATE SKIP LOCKED""")) {
                s.setString(1, issuer);
                s.setString(2, me);
                s.setTimestamp(3, Timestamp.from(now.minus(adoptAfter)));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        dead.add(r.getString(1));
                    }
                }
            }
            if (!dead.isEmpty()) {
                java.sql.Array ids = c.createArrayOf("text", dead.toArray());
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE signet.status_replica SET adopted_by = ?, adopted_at = ?
                        WHERE issuer = ? AND replica_id = ANY (?)""")) {
                    s.setString(1, me);
                    s.setTimestamp(2, Timestamp.from(now));
                    s.setString(3, issuer);
                    s.setArray(4, ids);
                    s.executeUpdate();
                }
                // The dead replicas' own lists, and those they had adopted in turn.
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO signet.status_adoption (issuer, list_id, owner, signer, exp, adopted_at)
                        SELECT issuer, list_id, owner, ?, max(exp), ? FROM signet.status_block
                        WHERE issuer = ? AND owner = ANY (?) AND exp > ? GROUP BY issuer, list_id, owner
                        ON CONFLICT (issuer, list_id) DO UPDATE SET signer = excluded.signer,
                            adopted_at = excluded.adopted_at
                        WHERE signet.status_adoption.signer = ANY (?)""")) {
                    s.setString(1, me);
                    s.setTimestamp(2, Timestamp.from(now));
                    s.setString(3, issuer);
                    s.setArray(4, ids);
                    s.setTimestamp(5, Timestamp.from(now));
                    s.setArray(6, ids);
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE signet.status_adoption SET signer = ?, adopted_at = ?
                        WHERE issuer = ? AND signer = ANY (?)""")) {
                    s.setString(1, me);
                    s.setTimestamp(2, Timestamp.from(now));
                    s.setString(3, issuer);
                    s.setArray(4, ids);
                    s.executeUpdate();
                }
            }
            for (String table : List.of("status_block", "status_adoption")) {
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM signet." + table + " WHERE issuer = ? AND exp < ?")) {
                    s.setString(1, issuer);
                    s.setTimestamp(2, Timestamp.from(now));
                    s.executeUpdate();
                }
            }
            // A gone replica's row, once adopted and once nothing of its lists is left (their blocks and adoptions
            // are deleted above as they expire): kept until then, so no list a verifier still needs loses its signer.
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM signet.status_replica r
                    WHERE r.issuer = ? AND r.replica_id <> ? AND r.adopted_by IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM signet.status_block b
                                      WHERE b.issuer = r.issuer AND b.owner = r.replica_id)
                      AND NOT EXISTS (SELECT 1 FROM signet.status_adoption a WHERE a.issuer = r.issuer
                                      AND (a.owner = r.replica_id OR a.signer = r.replica_id))""")) {
                s.setString(1, issuer);
                s.setString(2, me);
                s.executeUpdate();
            }
            Set<String> taken = new HashSet<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT list_id FROM signet.status_adoption WHERE issuer = ? AND owner = ? AND signer <> ?")) {
                s.setString(1, issuer);
                s.setString(2, me);
                s.setString(3, me);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        taken.add(r.getString(1));
                    }
                }
            }
            return taken;
        });
    }

    @Override
    public List<Block> adoptedBlocks(Map<String, Long> known) {
        String me = db.replica().value();
        return db.inTransaction("read the facts of the status lists " + me + " adopted", c -> {
            List<String> lists = new ArrayList<>();
            List<Integer> blocks = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT b.list_id, b.block, b.version FROM signet.status_block b
                    JOIN signet.status_adoption a ON a.issuer = b.issuer AND a.list_id = b.list_id
                    WHERE a.issuer = ? AND a.signer = ? ORDER BY b.list_id, b.block""")) {
                s.setString(1, issuer);
                s.setString(2, me);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next() && lists.size() < BLOCKS_PER_READ) {
                        Long v = known.get(r.getString(1) + "/" + r.getInt(2));
                        if (v == null || v != r.getLong(3)) {
                            lists.add(r.getString(1));
                            blocks.add(r.getInt(2));
                        }
                    }
                }
            }
            List<Block> out = new ArrayList<>();
            if (lists.isEmpty()) {
                return out;
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT list_id, block, exp, facts, version FROM signet.status_block
                    WHERE issuer = ? AND (list_id, block) IN (SELECT * FROM unnest(?::text[], ?::int[]))""")) {
                s.setString(1, issuer);
                s.setArray(2, c.createArrayOf("text", lists.toArray()));
                s.setArray(3, c.createArrayOf("int4", blocks.toArray()));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new Block(r.getString(1), r.getInt(2), r.getTimestamp(3).toInstant(), r.getBytes(4),
                                r.getLong(5)));
                    }
                }
            }
            return out;
        });
    }

    private void notifyOthers(java.sql.Connection c) throws java.sql.SQLException {
        try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            n.setString(1, PostgresStore.CHANNEL);
            n.setString(2, PostgresStore.payload(issuer, 0));
            n.execute();
        }
    }
}
