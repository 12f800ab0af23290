package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.ops.Replicas.Replica;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@code signet serve} processes (own data dirs and ports; PostgreSQL and one software keystore shared, as KMS
 * would be) through what a database and a host can do to them: a PostgreSQL restart under load, an outage longer
 * than the safe window, and {@code kill -9} of the lease holder between creating a key and journaling it. Windows
 * are configured short (lease 10 s, journal max-age 8 s, check every 2 s); every wait is a poll with a deadline many
 * times its bound.
 */
class PostgresFailuresProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    /** Short windows: lease 10 s, journal max-age 8 s, check every 2 s. */
    Replica start(Replicas fleet, String name, String backendType) throws Exception {
        return fleet.start(name, """
                  rotation:
                    jwks-max-age: 8
                    check-interval: 2
                """, "    lease-ttl: 10", Replicas.software(backendType, keystore(), dir.resolve("keystore-password")));
    }

    Path keystore() {
        return dir.resolve("shared-backend/keys.p12");
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> adminPost(Replica r, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(r.admin() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void await(BooleanSupplier condition, String failure) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, failure + " within " + DEADLINE);
            Thread.sleep(100);
        }
    }

    boolean status(String url, int expected) {
        try {
            return get(url).statusCode() == expected;
        } catch (Exception e) {
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> keys(Replica r) throws Exception {
        return (List<Map<String, Object>>) JSONObjectUtils.parse(get(r.admin() + "/v1/keys").body()).get("keys");
    }

    @Test
    void outagesAndAKilledLeaseHolderLoseNoTokenAndLeaveOneActiveKey() throws Exception {
        Files.writeString(dir.resolve("keystore-password"), "failures-test-keystore-password");
        List<Replica> replicas = new ArrayList<>();
        try (Replicas fleet = new Replicas(dir, PostgresDatabase.create(dir), Map.of("SIGNET_TEST_PAUSE_DIR",
                dir.toString()))) {
            PostgresCluster pg = fleet.db().pg();
            // One after another: three JVMs starting at once on a loaded 2-core machine overrun the start deadline.
            replicas.add(start(fleet, "az-a", "software-pausing"));
            replicas.add(start(fleet, "az-b", "software"));
            replicas.add(start(fleet, "az-c", "software"));
            Replica a = replicas.get(0);
            Replica b = replicas.get(1);
            Replica c = replicas.get(2);

            // 1. A PostgreSQL restart under load: every token returned verifies; nothing but 201 or 503 + Retry-After.
            List<String> tokens = Collections.synchronizedList(new ArrayList<>());
            List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean loading = new AtomicBoolean(true);
            Thread load = Thread.ofPlatform().start(() -> {
                for (int i = 0; loading.get(); i++) {
                    try {
                        HttpResponse<String> res = DevModeProcessTest.mint(http, replicas.get(i % 3).base());
                        if (res.statusCode() == 201) {
                            tokens.add((String) JSONObjectUtils.parse(res.body()).get("token"));
                        } else if (res.statusCode() != 503 || res.headers().firstValue("Retry-After").isEmpty()) {
                            unexpected.add(res.statusCode() + " " + res.body());
                        }
                    } catch (Exception e) {
                        unexpected.add(e.toString());
                    }
                }
            });
            try {
                await(() -> tokens.size() >= 10, "no tokens under load");
                pg.stop();
                try {
                    await(() -> status(c.admin() + "/observe/health", 503), "readiness stays UP without PostgreSQL");
                    assertTrue(get(c.admin() + "/observe/health").body().contains("PostgreSQL"), "readiness names the reason");
                    HttpResponse<String> verb = adminPost(b, "/v1/keys/rotate");
                    assertEquals(503, verb.statusCode(), verb.body());
                    assertTrue(verb.headers().firstValue("Retry-After").isPresent(), "operator verbs say when to retry");
                } finally {
                    pg.start();
                }
                for (Replica r : replicas) {
                    await(() -> status(r.admin() + "/observe/health", 200), r.name() + " does not catch up");
                }
                int before = tokens.size();
                await(() -> tokens.size() >= before + 10, "signing does not resume");
            } finally {
                loading.set(false);
                load.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertEquals(List.of(), unexpected);
            Instant now = Instant.now();
            for (Replica r : replicas) {
                JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(r.base()
                        + "/.well-known/jwks.json")).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (String token : List.copyOf(tokens)) {
                    SignedJWT jwt = SignedJWT.parse(token);
                    assertTrue(jwt.getJWTClaimsSet().getExpirationTime().toInstant().isAfter(now));
                    assertTrue(JwsVerification.verifies(token, jwks.getKeyByKeyId(jwt.getHeader().getKeyID())),
                            "a token returned during the restart does not verify against " + r.name());
                }
            }

            // 2. Cut off for longer than the safe window (jwks-max-age 8 s): stop signing, say why, come back.
            int logged = b.process().lines().size();
            pg.stop();
            try {
                await(() -> {
                    try {
                        HttpResponse<String> res = DevModeProcessTest.mint(http, b.base());
                        return res.statusCode() == 503 && res.headers().firstValue("Retry-After").isPresent();
                    } catch (Exception e) {
                        return false;
                    }
                }, "a replica cut off from the journal goes on signing");
                // A snapshot first: a sub-list of the reader's copy-on-write list breaks when the reader adds.
                List<String> all = List.copyOf(b.process().lines());
                List<String> since = all.subList(logged, all.size());
                assertTrue(since.stream().anyMatch(l -> l.contains("not re-read")),
                        "the operator log says why signing stopped: " + since);
            } finally {
                pg.start();
            }
            await(() -> {
                try {
                    return DevModeProcessTest.mint(http, b.base()).statusCode() == 201;
                } catch (Exception e) {
                    return false;
                }
            }, "signing does not resume after the outage");

            // 3. kill -9 of the lease holder between the backend's generate and the journal write.
            String activeBefore = keys(b).stream().filter(k -> "ACTIVE".equals(k.get("state")))
                    .map(k -> (String) k.get("kid")).findFirst().orElseThrow();
            Files.createFile(dir.resolve("pause-after-generate"));
            // The operator's rotate on az-a never answers: az-a stops inside generate, holding the lease.
            var rotateOnA = http.sendAsync(HttpRequest.newBuilder(URI.create(a.admin() + "/v1/keys/rotate"))
                    .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
            Path generated = dir.resolve("generated");
            await(() -> Files.exists(generated), "az-a never generated the key");
            String orphan = Files.readString(generated);
            a.process().process().destroyForcibly(); // SIGKILL: no shutdown hook, the lease stays taken
            assertTrue(a.process().process().waitFor(30, TimeUnit.SECONDS));
            rotateOnA.cancel(true);
            Files.delete(dir.resolve("pause-after-generate"));
            assertTrue(backendKids().contains(orphan), "the key exists in the backend, journaled nowhere");

            // az-b waits out the dead holder's lease, settles its intent, and rotates.
            String listed = DevModeProcessTest.cli("keys", "rotate", "--admin", b.admin());
            assertTrue(listed.contains("PREPARED"), listed);
            List<Map<String, Object>> after = keys(c);
            assertEquals(1, after.stream().filter(k -> "ACTIVE".equals(k.get("state"))).count(), after.toString());
            assertEquals(activeBefore, after.stream().filter(k -> "ACTIVE".equals(k.get("state")))
                    .map(k -> k.get("kid")).findFirst().orElseThrow());
            assertTrue(after.stream().noneMatch(k -> orphan.equals(k.get("kid"))), "the orphan was journaled");
            assertFalse(backendKids().contains(orphan), "the orphan left by the killed holder is still in the backend");
            String jwksB = http.send(HttpRequest.newBuilder(URI.create(b.base() + "/.well-known/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            await(() -> {
                try {
                    return jwksB.equals(http.send(HttpRequest.newBuilder(URI.create(c.base()
                            + "/.well-known/jwks.json")).build(), HttpResponse.BodyHandlers.ofString()).body());
                } catch (Exception e) {
                    return false;
                }
            }, "az-b and az-c publish different JWKS");
            assertFalse(jwksB.contains(orphan));
        }
    }

    List<String> backendKids() {
        try (SoftwareKeyBackend backend = new SoftwareKeyBackend(keystore(),
                "failures-test-keystore-password".toCharArray(), Clock.systemUTC())) {
            return backend.list().stream().map(SigningKey::id).toList();
        }
    }
}
