package dev.signet.store.postgres;

import dev.signet.revocation.StatusLists;
import dev.signet.revocation.StatusLists.Kind;
import dev.signet.revocation.StatusRef;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica that dies for good: its status lists' facts are in PostgreSQL by block, a survivor adopts them once
 * it has been unseen for the bound, applies the rules in force (made before or after) and signs its lists.
 */
class PostgresStatusAdoptionTest {

    private static final SigningKey KEY = InMemorySigning.generate(SigningAlgorithm.ES256);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration ADOPT_AFTER = Duration.ofSeconds(30);

    @RegisterExtension
    final ReplicaStores stores = new ReplicaStores();
    private final PostgresCluster pg = stores.pg;
    private final String url = stores.url;
    private final String issuer = stores.issuer;
    private final MutableClock clock = new MutableClock(Instant.now());

    @TempDir
    Path dir;

    private PostgresStore db(String name) {
        return stores.open(name);
    }

    private StatusLists replica(String name, PostgresStore db) {
        return new StatusLists(issuer, name, dir.resolve(name), StatusLists.Settings.defaults(Duration.ofHours(1)),
                clock, () -> KEY, db.journal(issuer).statuses(ADOPT_AFTER));
    }

    private static String jti() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private record Minted(String jti, StatusRef ref) {
    }

    private Minted mint(StatusLists s, String task, String sub, Minted parent) {
        String jti = jti();
        return new Minted(jti, s.allocate(new StatusLists.Token(jti, clock.instant().plusSeconds(600), task, sub,
                "minter", parent == null ? null : parent.jti())));
    }

    private static boolean revoked(StatusLists s, Minted m) {
        return s.isRevoked(m.ref().uri(), m.ref().idx());
    }

    private long rows(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, pg.properties()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void aSurvivorAdoptsADeadReplicasListsAndRevokesItsTokensByEveryKindOfRule() throws Exception {
        PostgresStore dbA = db("a");
        StatusLists a = replica("a", dbA);
        StatusLists b = replica("b", db("b"));
        Minted task = mint(a, "task-x", "agent-1", null);
        Minted child = mint(a, "task-x", "agent-2", task); // exchanged: inherits the task
        Minted other = mint(a, "task-y", "agent-3", null);
        Minted byJti = mint(a, "task-y", "agent-4", null);
        Minted grandchildOfJti = mint(a, "task-y", "agent-5", byJti);
        for (int i = 0; i < 5000; i++) {
            mint(a, "task-z", "agent-bulk", null); // a second block, to show blocks (not tokens) are written
        }
        a.sync();
        b.sync();
        assertEquals(2, rows("SELECT count(*) FROM signet.status_block"), "one row per block of 4096, not per token");

        // A dies (kill -9: nothing more from it, ever). A task rule made before anyone adopts it.
        dbA.close();
        StatusLists.Rule before = b.revoke(Kind.TASK, "task-x", "incident");
        assertEquals(0, before.covered(), "B issued none of them");
        b.sync();
        assertFalse(revoked(b, task), "not adopted yet: A's list as A last published it");

        clock.advance(ADOPT_AFTER.plusSeconds(1));
        b.sync(); // adopts A's lists, loads their facts, applies the rule in force, signs and publishes
        assertTrue(revoked(b, task), "the task rule made before the adoption reaches A's token");
        assertTrue(revoked(b, child), "and the token exchanged from it");
        assertFalse(revoked(b, other));

        StatusLists.Rule after = b.revoke(Kind.JTI, byJti.jti(), null);
        assertEquals(2, after.covered(), "the jti and its exchanged child, now that B holds A's facts");
        assertEquals(5000, b.revoke(Kind.SUB, "agent-bulk", null).covered(), "a sub rule covers A's tokens");
        clock.advance(Duration.ofSeconds(2)); // a list is re-signed at most once a second
        b.sync();
        assertTrue(revoked(b, byJti) && revoked(b, grandchildOfJti));
        assertFalse(revoked(b, other), "no unrevoked token reads revoked");

        // Every other replica serves B's signed bytes for A's list.
        StatusLists c = replica("c", db("c"));
        c.sync();
        assertTrue(revoked(c, task) && revoked(c, child) && revoked(c, byJti));
        assertFalse(revoked(c, other));
        assertEquals(b.served(task.ref().list()).orElseThrow().etag(), c.served(task.ref().list()).orElseThrow().etag());
    }

    @Test
    void aReplicaThatReturnsAfterAdoptionGivesUpItsOldListsAndCannotOverwriteThem() throws Exception {
        PostgresStore dbA = db("a");
        StatusLists a = replica("a", dbA);
        StatusLists b = replica("b", db("b"));
        Minted old = mint(a, "task-x", "agent-1", null);
        a.sync();
        b.sync();
        dbA.close();
        clock.advance(ADOPT_AFTER.plusSeconds(1));
        b.sync();
        b.revoke(Kind.TASK, "task-x", null);
        clock.advance(Duration.ofSeconds(2));
        b.sync();
        assertTrue(revoked(b, old));
        String signedByB = b.served(old.ref().list()).orElseThrow().etag();

        // A comes back (same data dir and replica id): its journal still names the old list.
        StatusLists a2 = replica("a", db("a"));
        a2.sync();
        Minted fresh = mint(a2, "task-y", "agent-1", null);
        assertNotEquals(old.ref().list(), fresh.ref().list(), "A allocates from a new list after a restart");
        a2.sync();
        assertEquals(signedByB, a2.served(old.ref().list()).orElseThrow().etag(), "A serves B's copy of its old list");
        assertTrue(revoked(a2, old));
        b.sync();
        assertEquals(signedByB, b.served(old.ref().list()).orElseThrow().etag(), "B still signs it");
        assertEquals(1, rows("SELECT count(*) FROM signet.status_adoption WHERE signer = 'b'"));
        assertFalse(revoked(b, fresh), "A's new list is A's again");

        // B dies too: A adopts B, and with it the list B had adopted from A.
        clock.advance(ADOPT_AFTER.plusSeconds(1));
        a2.sync();
        a2.revoke(Kind.SUB, "agent-1", null);
        clock.advance(Duration.ofSeconds(2));
        a2.sync();
        assertTrue(revoked(a2, fresh));
        assertEquals(1, rows("SELECT count(*) FROM signet.status_adoption WHERE signer = 'a'"),
                "the list comes home to A, which signs it again");
        assertNotEquals(signedByB, a2.served(old.ref().list()).orElseThrow().etag());
    }

    @Test
    void aGoneReplicasRowIsDeletedOnlyOnceEveryListOfItIsAdoptedAndExpired() throws Exception {
        String replicas = "SELECT count(*) FROM signet.status_replica WHERE replica_id = ";
        PostgresStore dbA = db("a");
        StatusLists a = replica("a", dbA);
        StatusLists b = replica("b", db("b"));
        Minted token = mint(a, "task-x", "agent-1", null);
        a.sync();
        b.sync();
        PostgresStore dbC = db("c");
        replica("c", dbC).sync(); // a replica that issued nothing
        dbA.close();
        dbC.close();

        clock.advance(ADOPT_AFTER.plusSeconds(1));
        b.sync(); // adopts A and C
        assertEquals(0, rows(replicas + "'c'"), "C had no list: nothing to keep once adopted");
        assertEquals(1, rows(replicas + "'a'"), "A's list is adopted but its token still lives");
        b.revoke(Kind.TASK, "task-x", null);
        clock.advance(Duration.ofSeconds(2));
        b.sync();
        assertTrue(revoked(b, token), "B signs A's list");

        clock.advance(Duration.ofMinutes(50)); // the list's window is still open, its tokens may live
        b.sync();
        assertEquals(1, rows(replicas + "'a'"));
        assertEquals(1, rows("SELECT count(*) FROM signet.status_adoption WHERE owner = 'a'"));

        clock.advance(Duration.ofHours(2)); // past the list's window and longest token: nothing left to verify
        b.sync();
        assertEquals(0, rows(replicas + "'a'"), "A's row goes with its last block and adoption");
        assertEquals(1, rows(replicas + "'b'"), "the live replica's own row stays");

        // Gone for good means gone: if A comes back it is a replica like any other.
        StatusLists a2 = replica("a", db("a"));
        a2.sync();
        assertEquals(1, rows(replicas + "'a'"));
        b.sync();
        assertEquals(1, rows(replicas + "'a'"), "a live replica is never pruned");
    }

    @Test
    void aNewListIsPublishedBeforeItsFirstTokenGoesOut() {
        StatusLists a = replica("a", db("a"));
        StatusLists b = replica("b", db("b"));
        Minted first = mint(a, "task-n", "agent-n", null); // no sync of A after it
        String id = first.ref().list();
        var atB = b.served(id);
        assertTrue(atB.isPresent(), "a verifier handed A's first token of a list may ask B for the list at once");
        assertArrayEquals(a.served(id).orElseThrow().body(), atB.get().body(), "the bytes A published");
    }
}
