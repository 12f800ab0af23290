package dev.signet.api;

import dev.signet.spi.SignetException;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    @Test
    void thePasswordStaysOutOfTheConfigurationAndDelegatedModeIsRefused(@TempDir Path dir) throws Exception {
        Map<String, String> c = postgres(dir, PostgresCluster.shared(), "jdbc:postgresql://127.0.0.1:1/x");
        c.put("signet.store.password", "hunter2");
        var inline = assertThrows(SignetException.class, () -> new TestDaemon(dir.resolve("a"), c));
        assertTrue(inline.getMessage().contains("password-env"), inline.getMessage());
        c.remove("signet.store.password");
        c.put("signet.store.url", "jdbc:postgresql://127.0.0.1:1/x?password=hunter2");
        assertThrows(SignetException.class, () -> new TestDaemon(dir.resolve("a"), c));
        c.put("signet.store.url", "jdbc:postgresql://127.0.0.1:1/x");
        c.put("signet.mode", "delegated");
        var delegated = assertThrows(SignetException.class, () -> new TestDaemon(dir.resolve("a"), c));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, delegated.code());
        assertTrue(delegated.getMessage().contains("delegated"), delegated.getMessage());
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
