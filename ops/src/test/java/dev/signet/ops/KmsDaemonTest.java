package dev.signet.ops;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.issuance.CredentialHash;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code signet serve} with a KMS configuration pointing at moto, a real KMS wire peer: tokens verify with an
 * independent verifier, and a second replica and a restart reuse the one KMS key.
 */
class KmsDaemonTest {

    @TempDir
    Path dir;
    Moto moto;
    final List<Process> replicas = new ArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : replicas) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (moto != null) {
            moto.close();
        }
    }

    Path config(String name, int motoPort, int port, int adminPort) throws IOException {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                signet:
                  issuer: "https://signet.kms.test"
                  port: %d
                  admin:
                    port: %d
                    credential-hash: "%s"
                  data-dir: "%s"
                  backend:
                %s
                  minters:
                    - name: ci
                      credential-hash: "%s"
                      audiences: ["https://api.example.com"]
                      resources: ["repo:**"]
                      actions: ["read"]
                      max-ttl: 600
                """.formatted(port, adminPort, CredentialHash.of(ADMIN).text(), dir.resolve("data"),
                Replicas.kms(motoPort).stripTrailing(), CredentialHash.of(MINTER).text()));
        return file;
    }

    Process serve(Path config) throws Exception {
        DevModeProcessTest.Started started = SignetCommand.startServe(config, Replicas.KMS_ENV);
        replicas.add(started.process());
        assertTrue(started.lines().stream().anyMatch(l -> l.contains("signet: backend   kms (hardware-protected)")),
                started.lines().toString());
        return started.process();
    }

    String mint(int port) throws Exception {
        HttpResponse<String> res = post(port);
        assertEquals(201, res.statusCode(), res.body());
        return (String) JSONObjectUtils.parse(res.body()).get("token");
    }

    HttpResponse<String> post(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
                        + "\"ttl\":600,\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String jwks(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/.well-known/jwks.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** {@code signet keys create-wrapping-key}: creates the alias's key in KMS once; a second run finds it. */
    @Test
    void theWrappingKeyIsCreatedBeforeAnyReplicaStarts() throws Exception {
        Moto.require();
        moto = Moto.start(dir.resolve("moto.log"));
        int motoPort = moto.port();
        Path plain = config("plain", motoPort, DevModeProcessTest.freePort(), DevModeProcessTest.freePort());
        Path delegated = dir.resolve("delegated.yaml");
        Files.writeString(delegated, Files.readString(plain).replace("  backend:\n",
                "  mode: delegated\n  delegation:\n    wrapping-key: alias/signet-wrap\n  backend:\n"));
        String first = createWrappingKey(delegated);
        assertTrue(first.contains("wrapping key alias/signet-wrap is ") && first.contains("replicas may now start"), first);
        String id = first.substring(first.indexOf(" is ") + 4, first.indexOf(" in the kms backend"));
        assertFalse(id.isBlank(), first);
        assertTrue(createWrappingKey(delegated).contains(" is " + id + " "), "found again, not created twice");
        String refused = createWrappingKey(plain);
        assertTrue(refused.contains("names no wrapping key") && refused.contains("signet.delegation.wrapping-key"), refused);
    }

    String createWrappingKey(Path config) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(SignetCommand.of("keys", "create-wrapping-key", "--config",
                config.toString())).redirectErrorStream(true);
        pb.environment().putAll(Replicas.KMS_ENV);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void serveWithKmsMintsVerifiableTokensAndReplicasShareOneKey() throws Exception {
        Moto.require();
        moto = Moto.start(dir.resolve("moto.log"));
        int motoPort = moto.port();
        int portA = DevModeProcessTest.freePort();
        int portB = DevModeProcessTest.freePort();
        int adminA = DevModeProcessTest.freePort();
        Path configA = config("a", motoPort, portA, adminA);
        Process a = serve(configA);
        String token = mint(portA);
        String kid = SignedJWT.parse(token).getHeader().getKeyID();

        Process py = new ProcessBuilder("python3", "verify.py", "http://127.0.0.1:" + portA + "/.well-known/jwks.json",
                "https://signet.kms.test", "https://api.example.com", token)
                .directory(SoftHsmDaemonTest.INTEROP.toFile()).redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes());
        assertEquals(0, py.waitFor(), out);

        serve(config("b", motoPort, portB, DevModeProcessTest.freePort()));
        assertEquals(kid, SignedJWT.parse(mint(portB)).getHeader().getKeyID(), "a second replica signs with the same KMS key");
        assertEquals(jwks(portA), jwks(portB), "both replicas serve the same JWKS");

        a.destroy();
        assertTrue(a.waitFor(30, TimeUnit.SECONDS));
        serve(configA);
        assertEquals(kid, SignedJWT.parse(mint(portA)).getHeader().getKeyID(), "a restart reuses the KMS key");

        assertEquals("1", kmsKeyCount(motoPort), "one KMS key for two replicas and a restart: no key sprawl");

        // Rotation on KMS: the next key is created in KMS, activated by the operator; old tokens still verify.
        HttpResponse<String> rotated = admin(adminA, "/v1/keys/rotate");
        String next = ((List<?>) JSONObjectUtils.parse(rotated.body()).get("keys")).stream().map(k -> (java.util.Map<?, ?>) k)
                .filter(k -> "PREPARED".equals(k.get("state"))).map(k -> (String) k.get("kid")).findFirst().orElseThrow();
        assertEquals(200, admin(adminA, "/v1/keys/" + next + "/activate").statusCode());
        assertEquals(next, SignedJWT.parse(mint(portA)).getHeader().getKeyID());
        com.nimbusds.jose.jwk.JWKSet set = com.nimbusds.jose.jwk.JWKSet.parse(jwks(portA));
        assertTrue(dev.signet.spi.testing.JwsVerification.verifies(token, set.getKeyByKeyId(kid)));
        assertEquals("2", kmsKeyCount(motoPort));
    }

    /**
     * Issue 11: moto restarted under a running daemon, so KMS no longer has the signing key. Minters used to get
     * 404 "AWS KMS Sign: NotFoundException" forever with readiness UP; now 503 with Retry-After and a detail
     * without backend internals, readiness DOWN naming the key, and the runbook's emergency rotation recovers.
     */
    @Test
    void aKmsKeyLostAtRuntimeIs503AndReadinessDownUntilTheEmergencyRotation() throws Exception {
        Moto.require();
        moto = Moto.start(dir.resolve("moto.log"));
        int motoPort = moto.port();
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        serve(config("lost", motoPort, port, adminPort));
        String kid = SignedJWT.parse(mint(port)).getHeader().getKeyID();

        moto.restart();

        HttpResponse<String> refused = post(port);
        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
        assertFalse(refused.body().contains("Exception") || refused.body().contains("AWS"), refused.body());
        HttpResponse<String> down = health(adminPort);
        assertEquals(503, down.statusCode(), down.body());
        assertTrue(down.body().contains(kid) && down.body().contains("no longer exists"), down.body());

        assertEquals(200, admin(adminPort, "/v1/keys/" + kid + "/revoke").statusCode());
        String next = SignedJWT.parse(mint(port)).getHeader().getKeyID();
        assertNotEquals(kid, next);
        assertEquals(200, health(adminPort).statusCode(), "a new key signs: ready again");
    }

    HttpResponse<String> health(int adminPort) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/observe/health"))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> admin(int adminPort, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String kmsKeyCount(int motoPort) throws Exception {
        Process keys = new ProcessBuilder("python3", "-c", """
                import boto3, sys
                kms = boto3.client("kms", endpoint_url=sys.argv[1], region_name="us-east-1",
                                   aws_access_key_id="x", aws_secret_access_key="x")
                print(len(kms.list_keys()["Keys"]))
                """, "http://127.0.0.1:" + motoPort).redirectErrorStream(true).start();
        String count = new String(keys.getInputStream().readAllBytes()).strip();
        assertEquals(0, keys.waitFor(), count);
        return count;
    }
}
