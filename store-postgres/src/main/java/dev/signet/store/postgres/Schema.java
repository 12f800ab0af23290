package dev.signet.store.postgres;

import dev.signet.spi.SignetException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Signet's tables, in schema {@value #NAME}, created and migrated at start-up. Migrations are numbered and
 * applied in order, each recorded in {@code signet.schema_version}, all in one transaction under a
 * transaction-level advisory lock, so replicas starting at once take turns and the second finds the work
 * done. A database migrated by a newer Signet is refused rather than written with an older layout.
 */
final class Schema {

    static final String NAME = "signet";
    /** "signet" in ASCII: the advisory lock id that serialises migrations. */
    static final long MIGRATION_LOCK = 0x7369676e6574L;

    private record Migration(int version, String description, String sql) {
    }

    private static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "journal, lease and replica reads", """
                    CREATE TABLE signet.journal (
                        issuer      text PRIMARY KEY,
                        version     bigint NOT NULL CHECK (version > 0),
                        body        text NOT NULL,
                        lease_epoch bigint NOT NULL,
                        written_by  text NOT NULL,
                        written_at  timestamptz NOT NULL
                    );
                    CREATE TABLE signet.lease (
                        issuer      text PRIMARY KEY,
                        epoch       bigint NOT NULL,
                        holder      text,
                        token       uuid,
                        acquired_at timestamptz NOT NULL,
                        expires_at  timestamptz NOT NULL
                    );
                    CREATE TABLE signet.replica (
                        issuer          text NOT NULL,
                        replica_id      text NOT NULL,
                        journal_version bigint NOT NULL,
                        read_at         timestamptz NOT NULL,
                        PRIMARY KEY (issuer, replica_id)
                    );
                    """),
            new Migration(2, "key intents and the issuer marker", """
                    CREATE TABLE signet.key_intent (
                        issuer      text NOT NULL,
                        id          text NOT NULL,
                        line        text NOT NULL,
                        lease_epoch bigint NOT NULL,
                        written_by  text NOT NULL,
                        written_at  timestamptz NOT NULL,
                        PRIMARY KEY (issuer, id)
                    );
                    CREATE TABLE signet.issuer (
                        issuer     text PRIMARY KEY,
                        started_by text NOT NULL,
                        started_at timestamptz NOT NULL
                    );
                    INSERT INTO signet.issuer (issuer, started_by, started_at)
                        SELECT issuer, written_by, written_at FROM signet.journal;
                    """),
            new Migration(3, "audit checkpoint heads and DPoP proof jtis", """
                    CREATE TABLE signet.audit_head (
                        issuer          text NOT NULL,
                        replica_id      text NOT NULL,
                        seq             bigint NOT NULL,
                        head            text NOT NULL,
                        checkpoint_time text NOT NULL,
                        jws             text NOT NULL,
                        written_at      timestamptz NOT NULL,
                        PRIMARY KEY (issuer, replica_id)
                    );
                    CREATE TABLE signet.proof_jti (
                        issuer     text NOT NULL,
                        id         text NOT NULL,
                        expires_at timestamptz NOT NULL,
                        PRIMARY KEY (issuer, id)
                    );
                    CREATE INDEX proof_jti_expiry ON signet.proof_jti (expires_at);
                    """),
            new Migration(4, "revocation rules and published status lists", """
                    CREATE TABLE signet.revocation (
                        seq        bigserial PRIMARY KEY,
                        issuer     text NOT NULL,
                        id         text NOT NULL,
                        kind       text NOT NULL,
                        value      text NOT NULL,
                        reason     text,
                        created    timestamptz NOT NULL,
                        expires    timestamptz NOT NULL,
                        replica_id text NOT NULL,
                        UNIQUE (issuer, id)
                    );
                    CREATE SEQUENCE signet.status_list_version;
                    CREATE TABLE signet.status_list (
                        issuer     text NOT NULL,
                        id         text NOT NULL,
                        body       bytea NOT NULL,
                        etag       text NOT NULL,
                        exp        timestamptz NOT NULL,
                        replica_id text NOT NULL,
                        version    bigint NOT NULL,
                        PRIMARY KEY (issuer, id)
                    );
                    """),
            new Migration(5, "each replica's delegated subkeys", """
                    CREATE TABLE signet.subkeys (
                        issuer     text NOT NULL,
                        replica_id text NOT NULL,
                        version    bigint NOT NULL CHECK (version > 0),
                        body       text NOT NULL,
                        written_at timestamptz NOT NULL,
                        PRIMARY KEY (issuer, replica_id)
                    );
                    """),
            new Migration(6, "status list facts by block, replica heartbeats and adopted lists", """
                    CREATE SEQUENCE signet.status_block_version;
                    CREATE TABLE signet.status_block (
                        issuer     text NOT NULL,
                        list_id    text NOT NULL,
                        block      int NOT NULL,
                        owner      text NOT NULL,
                        exp        timestamptz NOT NULL,
                        facts      bytea NOT NULL,
                        version    bigint NOT NULL,
                        PRIMARY KEY (issuer, list_id, block)
                    );
                    CREATE TABLE signet.status_replica (
                        issuer     text NOT NULL,
                        replica_id text NOT NULL,
                        seen_at    timestamptz NOT NULL,
                        adopted_by text,
                        adopted_at timestamptz,
                        PRIMARY KEY (issuer, replica_id)
                    );
                    CREATE TABLE signet.status_adoption (
                        issuer     text NOT NULL,
                        list_id    text NOT NULL,
                        owner      text NOT NULL,
                        signer     text NOT NULL,
                        exp        timestamptz NOT NULL,
                        adopted_at timestamptz NOT NULL,
                        PRIMARY KEY (issuer, list_id)
                    );
                    """),
            new Migration(7, "live tokens each revocation rule covered, over every replica", """
                    ALTER TABLE signet.revocation ADD COLUMN covered bigint NOT NULL DEFAULT 0;
                    """));

    private Schema() {
    }

    static int latest() {
        return MIGRATIONS.getLast().version();
    }

    /**
     * Brings the schema to {@link #latest()}; returns the version found before.
     *
     * @throws SignetException FAILED_PRECONDITION if a newer Signet migrated the database
     */
    static int migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            s.execute("CREATE SCHEMA IF NOT EXISTS " + NAME);
            s.execute("CREATE TABLE IF NOT EXISTS signet.schema_version (version int PRIMARY KEY,"
                    + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            int found;
            try (ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM signet.schema_version")) {
                r.next();
                found = r.getInt(1);
            }
            if (found > latest()) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "the PostgreSQL schema "
                        + NAME + " is at version " + found + ", newer than this Signet knows (" + latest()
                        + "); run the newer Signet, or restore the database from before its upgrade");
            }
            for (Migration m : MIGRATIONS) {
                if (m.version() > found) {
                    s.execute(m.sql());
                    try (var insert = c.prepareStatement(
                            "INSERT INTO signet.schema_version (version, description) VALUES (?, ?)")) {
                        insert.setInt(1, m.version());
                        insert.setString(2, m.description());
                        insert.executeUpdate();
                    }
                }
            }
            return found;
        }
    }
}
