package dev.signet.store.postgres;

import dev.signet.revocation.SharedStatus;
import dev.signet.revocation.StatusLists;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

/**
 * One issuer's revocation rules and published status lists in PostgreSQL: {@code signet.revocation} (one row
 * per rule, in {@code seq} order) and {@code signet.status_list} (each list's signed bytes, as its owner last
 * published them, with a {@code version} from one sequence). A rule's commit notifies the other replicas on the
 * journal's channel; they also poll.
 */
public final class PostgresStatusStore implements SharedStatus {

    private final PostgresStore db;
    private final String issuer;

    PostgresStatusStore(PostgresStore db, String issuer) {
        this.db = db;
        this.issuer = issuer;
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
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO signet.status_list (issuer, id, body, etag, exp, replica_id, version)
                    VALUES (?, ?, ?, ?, ?, ?, nextval('signet.status_list_version'))
                    ON CONFLICT (issuer, id) DO UPDATE SET body = excluded.body, etag = excluded.etag,
                        exp = excluded.exp, version = excluded.version""")) {
                s.setString(1, issuer);
                s.setString(2, id);
                s.setBytes(3, body);
                s.setString(4, etag);
                s.setTimestamp(5, Timestamp.from(exp));
                s.setString(6, db.replica().value());
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

    private void notifyOthers(java.sql.Connection c) throws java.sql.SQLException {
        try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            n.setString(1, PostgresStore.CHANNEL);
            n.setString(2, PostgresStore.payload(issuer, 0));
            n.execute();
        }
    }
}
