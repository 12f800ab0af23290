package dev.signet.api;

import com.nimbusds.jose.jwk.ECKey;
import dev.signet.audit.AuditLog;
import dev.signet.audit.AuditVerifier;
import dev.signet.spi.SignetException;
import dev.signet.store.postgres.PostgresStore;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two daemons with separate data dirs sharing only PostgreSQL and the backend (one software keystore), as
 * replicas on two hosts would.
 */
class PostgresReplicasApiTest {

    private static final String MINT = request("agent-1", "https://alpha.example", 60, "repo:alpha/x", "read");

    private static Map<String, String> postgres(Path dir, PostgresCluster pg, String url) throws Exception {
        Path secret = dir.resolve("pg-password");
        Files.writeString(secret, pg.password() + "\n");
        Map<String, String> c = new HashMap<>();
        c.put("signet.store.type", "postgres");
        c.put("signet.store.url", url);
        c.put("signet.store.user", pg.user());
        c.put("signet.store.password-file", secret.toString());
        c.put("signet.backend.keystore", dir.resolve("shared-keystore.p12").toString());
        return c;
    }

    @Test
    void replicasAgreeARevocationReachesTheOtherAtOnceAndAnOutageIsReported(@TempDir Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        Map<String, String> c = postgres(dir, pg, pg.newDatabase());
        try (TestDaemon a = new TestDaemon(dir.resolve("a"), c); TestDaemon b = new TestDaemon(dir.resolve("b"), c)) {
            assertEquals(a.get(a.jwksUrl()).body(), b.get(b.jwksUrl()).body(), "one journal, one JWKS");
            Map<String, Object> keysA = json(a.get(a.adminBase() + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN));
            Map<String, Object> keysB = json(b.get(b.adminBase() + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN));
            assertNotEquals(keysA.get("replica"), keysB.get("replica"));
            String kid = (String) json(b.mint(ALPHA, MINT)).get("kid");

            assertEquals(200, admin(a, "/v1/keys/" + kid + "/revoke").statusCode());
            // The check interval is 30 s here; only the change notification can beat this deadline.
            await(() -> !b.get(b.jwksUrl()).body().contains(kid), Duration.ofSeconds(20), "B still publishes " + kid);
            String next = (String) json(b.mint(ALPHA, MINT)).get("kid");
            assertNotEquals(kid, next);
            Map<?, ?> store = (Map<?, ?>) json(b.get(b.adminBase() + "/v1/keys", "Authorization",
                    "Bearer " + TestDaemon.ADMIN)).get("store");
            assertEquals("postgres", store.get("type"), store.toString());
            assertEquals("none", store.get("lease_holder"), "released after the revocation: " + store);
            assertEquals(keysA.get("replica"), store.get("written_by"), store.toString());
            assertEquals(2, ((List<?>) store.get("replicas")).size(), "each replica's last read: " + store);
            assertEquals(a.get(a.jwksUrl()).body(), b.get(b.jwksUrl()).body());

            pg.stop();
            try {
                await(() -> b.get(b.adminBase() + "/observe/health").statusCode() == 503, Duration.ofSeconds(30),
                        "readiness stays UP without PostgreSQL");
                String health = b.get(b.adminBase() + "/observe/health").body();
                assertTrue(health.contains("PostgreSQL"), health);
                HttpResponse<String> verb = admin(a, "/v1/keys/rotate");
                assertEquals(503, verb.statusCode(), verb.body());
                assertTrue(verb.headers().firstValue("Retry-After").isPresent());
                assertFalse(verb.body().contains(pg.password()));
                assertEquals(201, b.mint(ALPHA, MINT).statusCode(), "signing goes on while the journal is fresh");
            } finally {
                pg.start();
            }
            await(() -> b.get(b.adminBase() + "/observe/health").statusCode() == 200, Duration.ofSeconds(30),
                    "readiness does not come back with PostgreSQL");
            assertEquals(200, admin(a, "/v1/keys/rotate").statusCode());
            await(() -> a.get(a.jwksUrl()).body().equals(b.get(b.jwksUrl()).body()), Duration.ofSeconds(20),
                    "the rotation on A is not published by B");
        }
    }

    /** RFC 9449 §11.1 across replicas: the jti table in PostgreSQL is shared, so B refuses what A accepted. */
    @Test
    void aDpopProofAcceptedByOneReplicaIsRefusedByTheOther(@TempDir Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        Map<String, String> c = postgres(dir, pg, pg.newDatabase());
        try (TestDaemon a = new TestDaemon(dir.resolve("a"), c); TestDaemon b = new TestDaemon(dir.resolve("b"), c)) {
            ECKey holder = Delegates.newKey();
            String parent = (String) json(a.mint(ALPHA, "{\"sub\":\"principal-1\",\"aud\":\"https://alpha.example\","
                    + "\"ttl\":600,\"scope\":[{\"resource\":\"repo:alpha/x\",\"actions\":[\"read\"]}],"
                    + "\"cnf\":{\"jkt\":\"" + Delegates.jkt(holder) + "\"}}")).get("token");
            Clock clock = Clock.systemUTC();
            String proof = Delegates.proof(holder, clock, "POST", Delegates.ENDPOINT, parent);
            HttpResponse<String> first = Delegates.post(a, Delegates.form(parent, Delegates.newKey(), clock, "step-1"), proof);
            assertEquals(200, first.statusCode(), first.body());
            // A fresh actor token, so only the proof is replayed.
            HttpResponse<String> replayed = Delegates.post(b, Delegates.form(parent, Delegates.newKey(), clock, "step-1"), proof);
            assertEquals(400, replayed.statusCode(), replayed.body());
            assertEquals("invalid_grant", json(replayed).get("error"), replayed.body());
            assertTrue(replayed.body().contains("used before"), replayed.body());
            HttpResponse<String> fresh = Delegates.post(b, Delegates.form(parent, Delegates.newKey(), clock, "step-2"),
                    Delegates.proof(holder, clock, "POST", Delegates.ENDPOINT, parent));
            assertEquals(200, fresh.statusCode(), "a new proof is fine on B: " + fresh.body());

            pg.stop();
            try {
                HttpResponse<String> down = Delegates.post(b, Delegates.form(parent, Delegates.newKey(), clock, "step-3"),
                        Delegates.proof(holder, clock, "POST", Delegates.ENDPOINT, parent));
                assertEquals(503, down.statusCode(), "fail closed without the shared cache: " + down.body());
                assertTrue(down.headers().firstValue("Retry-After").isPresent());
                assertEquals(201, b.mint(ALPHA, MINT).statusCode(), "minting never touches the database");
            } finally {
                pg.start();
            }
        }
    }

    /**
     * Each checkpoint head goes to PostgreSQL; a log whose tail was cut together with its last checkpoints
     * verifies on its own (tail "unanchored") and is found cut against the heads.
     */
    @Test
    void auditHeadsInTheStoreShowATailCutThatTheLogAloneCannotShow(@TempDir Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String url = pg.newDatabase();
        Map<String, String> c = postgres(dir, pg, url);
        c.put("signet.audit.checkpoint-every", "3");
        String replica;
        try (TestDaemon a = new TestDaemon(dir.resolve("a"), c)) {
            replica = (String) json(a.get(a.adminBase() + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN))
                    .get("replica");
            for (int i = 0; i < 10; i++) {
                assertEquals(201, a.mint(ALPHA, MINT).statusCode());
            }
        }
        Path log = dir.resolve("a/audit").resolve(replica);
        try (PostgresStore db = PostgresStore.open(new PostgresStore.Settings(url, pg.user(), pg.password(),
                new dev.signet.rotation.ReplicaId("auditor")))) {
            await(() -> heads(db).containsKey(replica), Duration.ofSeconds(20), "no head of " + replica + " in PostgreSQL");
            AuditVerifier.Report whole = AuditVerifier.verify(log, Optional.empty(), heads(db));
            assertTrue(whole.ok(), whole.describe());
            long lastCheckpoint = whole.lastAnchored();
            await(() -> heads(db).get(replica).seq() == lastCheckpoint, Duration.ofSeconds(20),
                    "the store does not reach the log's last checkpoint " + lastCheckpoint);

            Path segment;
            try (var files = Files.list(log)) {
                segment = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().reduce((x, y) -> y)
                        .orElseThrow();
            }
            List<String> lines = Files.readAllLines(segment);
            List<Integer> checkpoints = new java.util.ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains("\"type\":\"checkpoint\"")) {
                    checkpoints.add(i);
                }
            }
            assertTrue(checkpoints.size() >= 3, "checkpoints every 3 records: " + checkpoints);
            // Keep one record after the last-but-one checkpoint: the two last checkpoints go with the tail.
            int keep = checkpoints.get(checkpoints.size() - 2) + 2;
            Files.writeString(segment, String.join("\n", lines.subList(0, keep)) + "\n");
            AuditVerifier.Report alone = AuditVerifier.verify(log, Optional.empty());
            assertTrue(alone.ok() && alone.unanchored() > 0, alone.describe());
            AuditVerifier.Report anchored = AuditVerifier.verify(log, Optional.empty(), heads(db));
            assertFalse(anchored.ok(), anchored.describe());
            assertTrue(anchored.problem().contains("were cut"), anchored.describe());
        }
    }

    private static Map<String, AuditLog.Head> heads(PostgresStore db) {
        Map<String, AuditLog.Head> heads = new HashMap<>();
        db.journal("https://signet.test").auditHeads().latest().forEach((r, h) ->
                heads.put(r, new AuditLog.Head(h.replica(), h.seq(), h.head(), h.time(), h.jws())));
        return heads;
    }

    @Test
    void aRevocationOnEitherReplicaIsInEveryListBothServeWithIdenticalBytes(@TempDir Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        Map<String, String> c = postgres(dir, pg, pg.newDatabase());
        try (TestDaemon a = new TestDaemon(dir.resolve("a"), c); TestDaemon b = new TestDaemon(dir.resolve("b"), c)) {
            RevocationApiTest.Minted a1 = RevocationApiTest.alpha(a, "agent-a1", "task-shared");
            RevocationApiTest.Minted a2 = RevocationApiTest.alpha(a, "agent-a2", "task-a");
            RevocationApiTest.Minted b1 = RevocationApiTest.alpha(b, "agent-b1", "task-shared");
            RevocationApiTest.Minted b2 = RevocationApiTest.alpha(b, "agent-b2", "task-b");
            assertNotEquals(a1.uri(), b1.uri(), "each replica allocates from its own lists");
            await(() -> sameBytes(a, b, a1.uri()) && sameBytes(a, b, b1.uri()), Duration.ofSeconds(20),
                    "each list is served by both replicas with identical bytes and ETag");

            long t0 = System.nanoTime();
            RevocationApiTest.revoke(b, "task", "task-shared", 1); // B revokes its own token at once
            await(() -> revokedOnBoth(a, b, a1) && revokedOnBoth(a, b, b1), Duration.ofSeconds(20),
                    "the task rule made on B is not in A's list as both serve it");
            System.out.printf("revocation on B in every served list after %d ms (bound 5 s)%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertFalse(RevocationApiTest.bit(RevocationApiTest.bits(a, a2.uri()), a2.idx()));
            assertFalse(RevocationApiTest.bit(RevocationApiTest.bits(b, b2.uri()), b2.idx()));
            assertEquals(403, a.mint(ALPHA, request("agent-9", "https://alpha.example", 60, "repo:alpha/x", "read")
                    .replace("}]}", "}],\"task\":\"task-shared\"}")).statusCode(), "A refuses the task B revoked");

            // A jti issued by A, revoked on B: B waits for A (the replica that issued it) to report it.
            HttpResponse<String> r = RevocationApiTest.admin(b, "POST", "/v1/revocations", "{\"jti\":\"" + a2.jti() + "\"}");
            assertEquals(201, r.statusCode(), r.body());
            assertEquals(1, ((Number) json(r).get("covered")).intValue(), "A's count, reported through the store");
            await(() -> revokedOnBoth(a, b, a2), Duration.ofSeconds(20), "A's token revoked on B is not revoked");
            assertFalse(RevocationApiTest.bit(RevocationApiTest.bits(a, b2.uri()), b2.idx()), "no other token is");
            // After a rule each owner re-signs its lists (B too, covering none) and the other copies them: caught up.
            await(() -> sameBytes(a, b, a2.uri()) && sameBytes(a, b, b2.uri()), Duration.ofSeconds(20),
                    "the lists are not served with identical bytes by both");
            // A jti no replica issued: 404 with replicas too, once none reported it; the rule stays in force.
            HttpResponse<String> unknown = RevocationApiTest.admin(b, "POST", "/v1/revocations",
                    "{\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\"}");
            assertEquals(404, unknown.statusCode(), unknown.body());
            assertEquals("application/problem+json", unknown.headers().firstValue("Content-Type").orElse(""));
            assertTrue(unknown.body().contains("no replica reported"), unknown.body());
            Map<String, Object> listed = json(RevocationApiTest.admin(a, "GET", "/v1/revocations", null));
            assertEquals(3, ((List<?>) listed.get("revocations")).size(), listed.toString());
            assertTrue(((List<?>) listed.get("status_lists")).containsAll(List.of(a1.uri(), b1.uri())), listed.toString());
        }
    }

    private static boolean sameBytes(TestDaemon a, TestDaemon b, String uri) {
        String path = URI.create(uri).getRawPath();
        HttpResponse<String> x = a.get(a.base() + path);
        HttpResponse<String> y = b.get(b.base() + path);
        return x.statusCode() == 200 && y.statusCode() == 200 && x.body().equals(y.body())
                && x.headers().firstValue("ETag").equals(y.headers().firstValue("ETag"));
    }

    private static boolean revokedOnBoth(TestDaemon a, TestDaemon b, RevocationApiTest.Minted m) {
        try {
            return sameBytes(a, b, m.uri()) && RevocationApiTest.bit(RevocationApiTest.bits(a, m.uri()), m.idx());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void thePasswordStaysOutOfTheConfiguration(@TempDir Path dir) throws Exception {
        Map<String, String> c = postgres(dir, PostgresCluster.shared(), "jdbc:postgresql://127.0.0.1:1/x");
        c.put("signet.store.password", "hunter2");
        var inline = assertThrows(SignetException.class, () -> new TestDaemon(dir.resolve("a"), c));
        assertTrue(inline.getMessage().contains("password-env"), inline.getMessage());
        c.remove("signet.store.password");
        c.put("signet.store.url", "jdbc:postgresql://127.0.0.1:1/x?password=hunter2");
        assertThrows(SignetException.class, () -> new TestDaemon(dir.resolve("a"), c));
    }

    /** Delegated mode over PostgreSQL: each replica journals its own subkeys there, and both publish both's. */
    @Test
    void delegatedReplicasPublishEachOthersSubkeys(@TempDir Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        Map<String, String> c = postgres(dir, pg, pg.newDatabase());
        c.put("signet.mode", "delegated");
        try (TestDaemon a = new TestDaemon(dir.resolve("a"), c); TestDaemon b = new TestDaemon(dir.resolve("b"), c)) {
            // b journals its subkeys after a started; NOTIFY brings them to a well within this deadline, and a
            // reaction that fails is retried within seconds (the 30 s check interval would miss it).
            await(() -> a.get(a.jwksUrl()).body().equals(b.get(b.jwksUrl()).body()), Duration.ofSeconds(20),
                    "a and b publish different JWKS");
            String jwks = a.get(a.jwksUrl()).body();
            // The master, a's first subkey and its successors, b's own next ones.
            var keys = com.nimbusds.jose.jwk.JWKSet.parse(jwks).getKeys();
            assertTrue(keys.size() >= 4, jwks);
            assertEquals(1, keys.stream().filter(k -> k.getX509CertChain() == null).count(), "one master");
            String kid = (String) json(b.mint(ALPHA, MINT)).get("kid");
            assertTrue(jwks.contains(kid), "b signs with a key both publish");
        }
    }

    private static HttpResponse<String> admin(TestDaemon d, String path) {
        return d.send(HttpRequest.newBuilder(URI.create(d.adminBase() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + TestDaemon.ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private static void await(BooleanSupplier condition, Duration deadline, String failure) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(failure + " within " + deadline);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
