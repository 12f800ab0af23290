package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code signet dev --backend softhsm} end to end: tokens signed on a real SoftHSM2 token verify with an
 * independent verifier, the key on the token is sensitive and never extractable, the token can vanish
 * and come back without a restart (503 + Retry-After meanwhile), and rotation works on the token.
 */
class SoftHsmDaemonTest {

    static final Path INTEROP = Path.of("..", "api", "src", "test", "interop");

    @TempDir
    Path dataDir;
    final HttpClient http = HttpClient.newHttpClient();

    static boolean softhsmInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/softhsm2-util"))
                && (Files.exists(Path.of("/usr/lib/softhsm/libsofthsm2.so"))
                || Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")));
    }

    HttpResponse<String> mint(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
                        + "\"ttl\":600,\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> admin(int adminPort, String path, boolean post) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + ADMIN).timeout(Duration.ofSeconds(30));
        return http.send(post ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokensSignedOnTheTokenVerifyAndTheDaemonRidesOutTokenLoss() throws Exception {
        RealBackends.require(softhsmInstalled(), "SoftHSM2", "apt-get install softhsm2 opensc (.ci/run does)");
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        Path conf = dataDir.resolve("softhsm").resolve("softhsm2.conf").toAbsolutePath();
        DevModeProcessTest.Started dev = DevModeProcessTest.startDev(dataDir, Map.of("SOFTHSM2_CONF", conf.toString()),
                "--backend", "softhsm", "--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort));
        try {
            HttpResponse<String> minted = mint(port);
            assertEquals(201, minted.statusCode(), minted.body());
            String token = (String) JSONObjectUtils.parse(minted.body()).get("token");
            String kid = SignedJWT.parse(token).getHeader().getKeyID();
            Map<String, Object> keys = JSONObjectUtils.parse(admin(adminPort, "/v1/keys", false).body());
            assertEquals(Boolean.TRUE, ((Map<?, ?>) keys.get("backend")).get("hardware_protected"));
            assertEquals("pkcs11", ((Map<?, ?>) keys.get("backend")).get("type"));

            // An independent verifier (joserfc) accepts it against the served JWKS.
            Process py = new ProcessBuilder("python3", "verify.py", "http://127.0.0.1:" + port + "/.well-known/jwks.json",
                    "http://localhost:" + port, "https://api.example.com", token)
                    .directory(INTEROP.toFile()).redirectErrorStream(true).start();
            String pyOut = new String(py.getInputStream().readAllBytes());
            assertEquals(0, py.waitFor(), pyOut);

            // The key on the token is sensitive and was never extractable.
            ProcessBuilder tool = new ProcessBuilder("pkcs11-tool", "--module", library(), "--list-objects", "--login",
                    "--pin", Files.readString(dataDir.resolve("softhsm").resolve("pin")).strip()).redirectErrorStream(true);
            tool.environment().put("SOFTHSM2_CONF", conf.toString());
            Process listed = tool.start();
            String objects = new String(listed.getInputStream().readAllBytes());
            listed.waitFor();
            assertTrue(objects.contains("Private Key Object") && objects.contains("never extractable")
                    && objects.contains("sensitive"), objects);

            // The token's files vanish: requests get 503 + Retry-After and health says so, no restart.
            Path tokens = dataDir.resolve("softhsm").resolve("tokens");
            Path away = dataDir.resolve("tokens-away");
            Files.move(tokens, away);
            HttpResponse<String> during = mint(port);
            assertEquals(503, during.statusCode(), during.body());
            assertTrue(during.headers().firstValue("Retry-After").isPresent());
            assertEquals("application/problem+json", during.headers().firstValue("Content-Type").orElse(""));
            HttpResponse<String> health = admin(adminPort, "/observe/health", false);
            assertEquals(503, health.statusCode(), health.body());
            Files.move(away, tokens);
            HttpResponse<String> after = null;
            for (int i = 0; i < 120; i++) {
                after = mint(port);
                if (after.statusCode() == 201) {
                    break;
                }
                Thread.sleep(500);
            }
            assertEquals(201, after.statusCode(), "recovered on its own: " + after.body());
            String recovered = (String) JSONObjectUtils.parse(after.body()).get("token");
            assertEquals(kid, SignedJWT.parse(recovered).getHeader().getKeyID(), "the same key, never another");

            // Rotation on the token: a forced activation of a fresh key; old tokens still verify.
            List<?> rotated = (List<?>) JSONObjectUtils.parse(admin(adminPort, "/v1/keys/rotate", true).body()).get("keys");
            String next = rotated.stream().map(k -> (Map<?, ?>) k).filter(k -> "PREPARED".equals(k.get("state")))
                    .map(k -> (String) k.get("kid")).findFirst().orElseThrow();
            assertEquals(200, admin(adminPort, "/v1/keys/" + next + "/activate", true).statusCode());
            String newToken = (String) JSONObjectUtils.parse(mint(port).body()).get("token");
            assertNotEquals(kid, SignedJWT.parse(newToken).getHeader().getKeyID());
            JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/.well-known/jwks.json")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(JwsVerification.verifies(token, jwks.getKeyByKeyId(kid)), "the retired key is still published");
            assertTrue(JwsVerification.verifies(newToken, jwks.getKeyByKeyId(next)));
        } finally {
            DevModeProcessTest.stop(dev);
        }
    }

    static String library() {
        Path debian = Path.of("/usr/lib/softhsm/libsofthsm2.so");
        return Files.exists(debian) ? debian.toString() : "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";
    }
}
