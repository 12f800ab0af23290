package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the daemon in the middle of rotations and forced activations, then a restart on the same data:
 * exactly one ACTIVE key, every journaled published key still in the JWKS, every token minted before the
 * crash still verifies, and minting works at once.
 */
class CrashRestartTest {

    @TempDir
    Path dataDir;
    final HttpClient http = HttpClient.newHttpClient();
    int port;
    int adminPort;

    DevModeProcessTest.Started start() throws Exception {
        return DevModeProcessTest.startDev(dataDir, Map.of(), "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String mint() throws Exception {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"a\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                        + "\"scope\":[{\"resource\":\"repo:x\",\"actions\":[\"read\"]}]}")));
        assertEquals(201, res.statusCode(), res.body());
        return (String) JSONObjectUtils.parse(res.body()).get("token");
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> keys() throws Exception {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/v1/keys"))
                .header("Authorization", "Bearer " + ADMIN));
        assertEquals(200, res.statusCode(), res.body());
        return (List<Map<String, Object>>) JSONObjectUtils.parse(res.body()).get("keys");
    }

    CompletableFuture<HttpResponse<String>> adminAsync(String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void kill9(DevModeProcessTest.Started dev) throws Exception {
        new ProcessBuilder("kill", "-KILL", Long.toString(dev.process().pid())).start().waitFor();
        assertTrue(dev.process().waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void killedMidRotationTheDaemonRestartsConsistent() throws Exception {
        port = DevModeProcessTest.freePort();
        adminPort = DevModeProcessTest.freePort();
        List<String> tokens = new ArrayList<>();
        DevModeProcessTest.Started dev = start();
        tokens.add(mint());
        int[] delaysMillis = {0, 3, 10, 30, 80};
        for (int round = 0; round < delaysMillis.length * 2; round++) {
            // Even rounds: a rotation is under way; odd rounds: an operator forces the PREPARED key.
            String path = "/v1/keys/rotate";
            if (round % 2 == 1) {
                String prepared = keys().stream().filter(k -> "PREPARED".equals(k.get("state")))
                        .map(k -> (String) k.get("kid")).findFirst().orElse(null);
                path = prepared == null ? "/v1/keys/rotate" : "/v1/keys/" + prepared + "/activate";
            }
            CompletableFuture<HttpResponse<String>> inFlight = adminAsync(path);
            Thread.sleep(delaysMillis[round / 2]);
            kill9(dev);
            inFlight.handle((r, e) -> null).get(30, TimeUnit.SECONDS);

            dev = start();
            List<Map<String, Object>> keys = keys();
            assertEquals(1, keys.stream().filter(k -> "ACTIVE".equals(k.get("state"))).count(), "one ACTIVE: " + keys);
            JWKSet jwks = JWKSet.parse(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/.well-known/jwks.json"))).body());
            for (Map<String, Object> k : keys) {
                if (List.of("PREPARED", "ACTIVE", "RETIRED").contains(k.get("state"))) {
                    assertNotNull(jwks.getKeyByKeyId((String) k.get("kid")), "journaled key published: " + k);
                }
            }
            for (String t : tokens) {
                String kid = SignedJWT.parse(t).getHeader().getKeyID();
                assertNotNull(jwks.getKeyByKeyId(kid), "a token minted before the crash keeps its key published");
                assertTrue(JwsVerification.verifies(t, jwks.getKeyByKeyId(kid)));
            }
            String fresh = mint();
            assertNotNull(jwks.getKeyByKeyId(SignedJWT.parse(fresh).getHeader().getKeyID()), "signs only with a published key");
            tokens.add(fresh);
        }
        DevModeProcessTest.stop(dev);
    }
}
