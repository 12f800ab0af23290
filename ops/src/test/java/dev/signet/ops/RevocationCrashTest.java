package dev.signet.ops;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.verifier.JwksCache;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.StatusListCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 while revocations are in flight, right after some were acknowledged and before their lists were
 * re-signed: after a restart every acknowledged rule is in force and its tokens read as revoked in the served
 * lists (checked with the service-side verifier), and tokens no rule named do not.
 */
class RevocationCrashTest {

    @TempDir
    Path dataDir;

    @Test
    void everyRevocationAcknowledgedBeforeAKill9IsServedAfterRestart() throws Exception {
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        String[] options = {"--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort)};
        DevModeProcessTest.Started dev = DevModeProcessTest.startDev(dataDir, Map.of(), options);
        HttpClient http = HttpClient.newHttpClient();
        int tasks = 16;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            tokens.add(mint(http, port, "t" + i));
        }
        String untouched = mint(http, port, "keep");

        Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        CountDownLatch some = new CountDownLatch(4);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 4; c++) {
                int first = c;
                pool.submit(() -> {
                    for (int i = first; i < tasks; i += 4) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + adminPort + "/v1/revocations"))
                                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"t" + i + "\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 201) {
                                acknowledged.add(i);
                                some.countDown();
                            }
                        } catch (Exception e) {
                            return null; // the daemon died under us: not acknowledged
                        }
                    }
                    return null;
                });
            }
            assertTrue(some.await(120, TimeUnit.SECONDS), "revocations are acknowledged before the kill");
            CrashRestartTest.kill9(dev);
        }
        assertTrue(acknowledged.size() >= 4, acknowledged.toString());

        dev = DevModeProcessTest.startDev(dataDir, Map.of(), options);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<Integer> notYet;
            do {
                notYet = acknowledged.stream().filter(i -> !revoked(http, port, tokens.get(i))).toList();
            } while (!notYet.isEmpty() && System.nanoTime() < deadline && pause());
            assertEquals(List.of(), notYet, "acknowledged " + acknowledged + " but not revoked after restart");
            assertTrue(!revoked(http, port, untouched), "a token no rule named is not revoked");
            for (int i : acknowledged) {
                HttpResponse<String> refused = DevModeProcessTest.mint(http, "http://127.0.0.1:" + port);
                assertEquals(201, refused.statusCode(), "a task no rule named still mints");
                assertEquals(403, mintStatus(http, port, "t" + i), "the rule on t" + i + " survived the kill");
            }
        } finally {
            DevModeProcessTest.stop(dev);
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(200);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static String body(String task) {
        return "{\"sub\":\"a\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}],\"task\":\"" + task + "\"}";
    }

    private static HttpResponse<String> post(HttpClient http, int port, String task) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(task))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String mint(HttpClient http, int port, String task) throws Exception {
        HttpResponse<String> r = post(http, port, task);
        assertEquals(201, r.statusCode(), r.body());
        return (String) JSONObjectUtils.parse(r.body()).get("token");
    }

    private static int mintStatus(HttpClient http, int port, String task) throws Exception {
        return post(http, port, task).statusCode();
    }

    /** What a service sees: a fresh status list cache (no caching between polls), the issuer's published keys. */
    private static boolean revoked(HttpClient http, int port, String token) {
        String local = "http://127.0.0.1:" + port;
        StatusListCache status = new StatusListCache("http://localhost:" + port,
                new JwksCache(URI.create(local + "/.well-known/jwks.json"), http, Clock.systemUTC(),
                        Duration.ofSeconds(1), Duration.ZERO),
                uri -> StatusListCache.http(http).fetch(URI.create(local + uri.getRawPath())), Clock.systemUTC(),
                Duration.ofSeconds(60), Duration.ZERO);
        try {
            status.check(SignedJWT.parse(token).getJWTClaimsSet());
            return false;
        } catch (Rejected e) {
            if (!e.reason().equals("revoked")) {
                throw new AssertionError("status not readable: " + e.reason() + " " + e.getMessage());
            }
            return true;
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }
}
