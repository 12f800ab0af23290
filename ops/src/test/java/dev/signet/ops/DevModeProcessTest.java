package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code signet dev} as a user runs it: a separate process, curl-like calls, then SIGTERM. */
class DevModeProcessTest {

    static final String MINTER = "dev-minter-test-credential-0123456789";
    static final String ADMIN = "dev-admin-test-credential-0123456789";

    @TempDir
    Path dataDir;

    static void stop(Started dev) throws Exception {
        new ProcessBuilder("kill", "-TERM", Long.toString(dev.process().pid())).start().waitFor();
        assertTrue(dev.process().waitFor(30, TimeUnit.SECONDS), "signet dev must stop on SIGTERM");
        dev.reader().join(5000);
    }

    /** Ports already handed out by {@link #freePort()} in this JVM. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port for a daemon that binds it later: free now and below the kernel's ephemeral range, so that no outgoing
     * connection takes it meanwhile. A port from {@code new ServerSocket(0)} is in that range, and one was taken
     * before a chaos-soak replica could bind it ("Address already in use", three starts in a row).
     */
    static int freePort() throws IOException {
        int ephemeral = 32768;
        try {
            ephemeral = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException notLinux) {
            // the usual default
        }
        int from = 10_000;
        var random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 500 && ephemeral - from > 1000; i++) {
            int port = from + random.nextInt(ephemeral - from);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0)) { // no room below the ephemeral range
            return s.getLocalPort();
        }
    }

    record Started(Process process, List<String> lines, Thread reader) {
    }

    Started startDev(int port, int adminPort) throws Exception {
        return startDev(dataDir, Map.of(), "--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort));
    }

    /** Starts {@code signet dev} in its own JVM, as ops/bin/signet does, and waits until it is serving. */
    static Started startDev(Path dataDir, Map<String, String> env, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "--add-opens", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Signet.class.getName(), "dev",
                "--data-dir", dataDir.toString()));
        command.addAll(List.of(options));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SIGNET_DEV_MINTER_TOKEN", MINTER);
        all.put("SIGNET_DEV_ADMIN_TOKEN", ADMIN);
        Started started = launch(command, all, "dev minter credential");
        assertTrue(started.lines().stream().anyMatch(l -> l.contains("dev minter credential: " + MINTER)),
                started.lines().toString());
        return started;
    }

    /** Starts a JVM (or any command), collects its output and waits until a line contains {@code ready}. */
    static Started launch(List<String> command, Map<String, String> env, String ready) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>(); // read while the reader adds
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        // Many times a normal start (about 2 s): a loaded 2-core machine can take a minute to start a JVM.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        // The reader appends while we look: streams over a synchronized list need its lock.
        java.util.function.BooleanSupplier isReady = () -> {
            synchronized (lines) {
                return lines.stream().anyMatch(l -> l.contains(ready));
            }
        };
        while (!isReady.getAsBoolean() && System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), "exited early: " + lines);
            Thread.sleep(100);
        }
        assertTrue(isReady.getAsBoolean(), "never ready: " + lines);
        return new Started(p, lines, reader);
    }

    /** Runs the CLI in its own process, as an operator would, and returns what it printed. */
    static String cli(String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(SignetCommand.of(args)).redirectErrorStream(true);
        pb.environment().put("SIGNET_ADMIN_TOKEN", ADMIN);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void devModeMintsVerifiableTokensAndShutsDownOnSigterm() throws Exception {
        int port = freePort();
        int adminPort = freePort();
        Started dev = startDev(port, adminPort);
        try (HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> res = mint(http, base);
            assertEquals(201, res.statusCode(), res.body());
            String token = (String) JSONObjectUtils.parse(res.body()).get("token");
            JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            String kid = SignedJWT.parse(token).getHeader().getKeyID();
            assertTrue(JwsVerification.verifies(token, jwks.getKeyByKeyId(kid)));
            assertEquals("http://localhost:" + port, SignedJWT.parse(token).getJWTClaimsSet().getIssuer());

            Map<String, Object> keys = JSONObjectUtils.parse(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + "/v1/keys")).header("Authorization", "Bearer " + ADMIN).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(kid, ((Map<?, ?>) ((List<?>) keys.get("keys")).getFirst()).get("kid"));

            String admin = "http://127.0.0.1:" + adminPort;
            String listed = cli("keys", "list", "--admin", admin);
            assertTrue(listed.contains(kid) && listed.contains("ACTIVE"), listed);
            String rotated = cli("keys", "rotate", "--admin", admin);
            assertTrue(rotated.contains("PREPARED"), "rotate prepares the next key: " + rotated);
            assertTrue(cli("keys", "activate", "--admin", admin).contains("needs a KID"));
        }
        // Process.destroy() would also close our end of its output; kill(1) sends only the signal.
        stop(dev);
        assertTrue(dev.lines().stream().anyMatch(l -> l.contains("shutting down")), "exit " + dev.process().exitValue() + " " + dev.lines());
        assertFalse(String.join("\n", dev.lines()).contains("Exception"), "clean shutdown: " + dev.lines());
        // Prepared on a thread started before logging is set up, the signer choice is still logged, once, at first use.
        assertEquals(1, dev.lines().stream().filter(l -> l.startsWith("INFO: in-memory signers: ")).count(), dev.lines().toString());
        Path written = dataDir.resolve("dev-credentials");
        assertFalse(Files.exists(written) && Files.readString(written).contains(MINTER),
                "credentials fixed by the environment are not written to disk");
    }
    @Test
    void devModeInDelegatedModeSignsWithASubkeyFromTheFirstToken() throws Exception {
        int port = freePort();
        Started dev = startDev(dataDir, Map.of(), "--port", Integer.toString(port), "--admin-port",
                Integer.toString(freePort()), "--mode", "delegated", "--set", "signet.delegation.lifetime=PT2H");
        try (HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> res = mint(http, base);
            assertEquals(201, res.statusCode(), res.body());
            SignedJWT token = SignedJWT.parse((String) JSONObjectUtils.parse(res.body()).get("token"));
            JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            com.nimbusds.jose.jwk.JWK subkey = jwks.getKeyByKeyId(token.getHeader().getKeyID());
            assertEquals("ES256", token.getHeader().getAlgorithm().getName(), "ES256 subkeys by default");
            assertEquals(2, subkey.getX509CertChain().size(), "a new issuer's first token is signed by a subkey");
            java.security.cert.X509Certificate leaf = subkey.getParsedX509CertChain().get(0);
            java.time.Duration valid = java.time.Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
            // lifetime + retention: 1 h + 1 h 35 min by default, 2 h + 1 h 35 min with the --set lifetime
            assertTrue(valid.compareTo(java.time.Duration.ofHours(3)) > 0, "--set reached the configuration: " + valid);
            assertTrue(JwsVerification.verifies(token.serialize(), subkey));
        } finally {
            stop(dev);
        }
    }

    static HttpResponse<String> mint(HttpClient http, String base) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
                        + "\"ttl\":600,\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
