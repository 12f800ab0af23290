package dev.signet.ops;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.signet.issuance.CredentialHash;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.RealBackends;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@code signet serve} processes in delegated mode, each with its own data dir and ports, sharing nothing but
 * PostgreSQL and KMS (moto_server, behind a proxy that counts requests by operation), with a wrapping key.
 * {@link #rollingRestartBenchmark} (BENCHMARKS.md) runs only with {@code -Dsignet.bench.rolling=true}.
 */
class DelegatedReplicasProcessTest {

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final List<DevModeProcessTest.Started> running = new ArrayList<>();
    Process moto;
    HttpServer proxy;
    /** KMS requests seen by the proxy, by operation (X-Amz-Target without the service). */
    final Map<String, AtomicInteger> kmsCalls = new ConcurrentHashMap<>();

    record Replica(String name, int port, int adminPort, Path config) {
        String base() {
            return "http://127.0.0.1:" + port;
        }
    }

    @AfterEach
    void stopAll() throws Exception {
        for (DevModeProcessTest.Started s : running) {
            s.process().destroyForcibly();
        }
        if (proxy != null) {
            proxy.stop(0);
        }
        if (moto != null) {
            moto.destroy();
            moto.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** moto_server on a free port, and a counting proxy in front of it; returns the proxy's port. */
    int kms() throws Exception {
        RealBackends.require(KmsDaemonTest.motoInstalled(), "moto_server", "pip install 'moto[server]' (preinstalled on these machines)");
        int motoPort = DevModeProcessTest.freePort();
        moto = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(motoPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("moto.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + motoPort + "/moto-api/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                break;
            } catch (IOException e) {
                assertTrue(System.nanoTime() < deadline, "moto_server did not start");
                Thread.sleep(100);
            }
        }
        proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        proxy.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        proxy.createContext("/", exchange -> {
            try (exchange) {
                String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
                String op = target == null ? "other" : target.substring(target.indexOf('.') + 1);
                kmsCalls.computeIfAbsent(op, o -> new AtomicInteger()).incrementAndGet();
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + motoPort
                        + exchange.getRequestURI())).method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                exchange.getRequestHeaders().forEach((name, values) -> {
                    if (!Set.of("host", "content-length", "connection", "expect", "transfer-encoding")
                            .contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        values.forEach(v -> forward.header(name, v));
                    }
                });
                HttpResponse<byte[]> res;
                try {
                    res = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                res.headers().map().forEach((name, values) -> {
                    if (!Set.of("content-length", "transfer-encoding", "connection", ":status").contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        values.forEach(v -> exchange.getResponseHeaders().add(name, v));
                    }
                });
                exchange.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(res.body());
                }
            }
        });
        proxy.start();
        return proxy.getAddress().getPort();
    }

    Replica configure(String name, String url, PostgresCluster pg, int kmsPort, String wrappingKey) throws Exception {
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        String yaml = """
                signet:
                  issuer: "https://signet.example.com"
                  port: %d
                  mode: delegated
                  delegation:
                    lifetime: PT1H
                %s
                  admin:
                    port: %d
                    credential-hash: "%s"
                  data-dir: "%s"
                  replica-id: %s
                  store:
                    type: postgres
                    url: "%s"
                    user: %s
                    password-file: "%s"
                  backend:
                    type: kms
                    endpoint: "http://127.0.0.1:%d"
                    region: us-east-1
                    call-timeout: 30s
                    access-key-id-env: TEST_KMS_KEY_ID
                    secret-access-key-env: TEST_KMS_SECRET
                  minters:
                    - name: agent
                      credential-hash: "%s"
                      audiences: ["https://api.example.com"]
                      resources: ["repo:acme/*"]
                      actions: ["read"]
                      max-ttl: 600
                """.formatted(port, wrappingKey == null ? "" : "    wrapping-key: \"" + wrappingKey + "\"", adminPort,
                CredentialHash.of(ADMIN).text(), dir.resolve(name), name, url, pg.user(), dir.resolve("pg-password"),
                kmsPort, CredentialHash.of(MINTER).text());
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        return new Replica(name, port, adminPort, config);
    }

    DevModeProcessTest.Started serve(Replica r) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Signet.class.getName(), "serve", "--config", r.config().toString());
        DevModeProcessTest.Started s = DevModeProcessTest.launch(command, Map.of("SIGNET_INMEMORY_SIGNER", "bc",
                "TEST_KMS_KEY_ID", "testing-key-id", "TEST_KMS_SECRET", "testing-secret"), "signet: backend");
        running.add(s);
        return s;
    }

    String jwks(Replica r) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(r.base() + "/.well-known/jwks.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Polls until every replica serves one JWKS, with a deadline many times the notification bound. */
    String awaitOneJwks(List<Replica> replicas) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (Replica r : replicas) {
                seen.add(jwks(r));
            }
            if (seen.size() == 1) {
                return seen.iterator().next();
            }
            assertTrue(System.nanoTime() < deadline, "the replicas' JWKS differ: " + seen);
            Thread.sleep(100);
        }
    }

    List<Replica> startThree(String wrappingKey) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String url = pg.newDatabase();
        Files.writeString(dir.resolve("pg-password"), pg.password());
        int kmsPort = kms();
        List<Replica> replicas = new ArrayList<>();
        // One after another: three JVMs starting at once on a loaded 2-core machine overrun the start deadline.
        for (String name : List.of("az-a", "az-b", "az-c")) {
            Replica r = configure(name, url, pg, kmsPort, wrappingKey);
            serve(r);
            replicas.add(r);
        }
        return replicas;
    }

    @Test
    void threeDelegatedReplicasPublishEachOthersSubkeysAndANewOneSignsAtOnce() throws Exception {
        List<Replica> replicas = startThree("alias/signet-subkey-wrapping");
        String jwks = awaitOneJwks(replicas);
        JWKSet set = JWKSet.parse(jwks);
        long masters = set.getKeys().stream().filter(k -> k.getX509CertChain() == null).count();
        assertEquals(1, masters, jwks);
        // The first replica's first subkey and its successor, and one own subkey of each other replica.
        assertTrue(set.getKeys().size() >= 5, "every replica's subkeys: " + set.getKeys().size());
        for (Replica signer : replicas) {
            HttpResponse<String> res = DevModeProcessTest.mint(http, signer.base());
            assertEquals(201, res.statusCode(), res.body());
            SignedJWT token = SignedJWT.parse((String) JSONObjectUtils.parse(res.body()).get("token"));
            JWK key = set.getKeyByKeyId(token.getHeader().getKeyID());
            assertNotEquals(null, key, signer.name() + " signs with a published key");
            assertNotEquals(null, key.getX509CertChain(), signer.name() + " signs with a subkey (wrapped: at once), not the master");
            assertTrue(JwsVerification.verifies(token.serialize(), key));
        }
        // No token is signed by the master (none costs a KMS Sign). Counting Sign requests instead was flaky:
        // audit checkpoints, status lists and subkey certificates are signed by the master at their own pace.
        String masterKid = set.getKeys().stream().filter(k -> k.getX509CertChain() == null).findFirst()
                .orElseThrow().getKeyID();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> res = DevModeProcessTest.mint(http, replicas.get(i % 3).base());
            assertEquals(201, res.statusCode(), res.body());
            SignedJWT token = SignedJWT.parse((String) JSONObjectUtils.parse(res.body()).get("token"));
            assertNotEquals(masterKid, token.getHeader().getKeyID(), "token " + i + " signed by the master key");
        }
    }

    /**
     * BENCHMARKS.md, "Rolling restart in delegated mode": three replicas under steady load (one token request at a
     * time, round robin), each restarted in turn; KMS requests by operation and tokens signed by the master, with
     * and without a wrapping key.
     */
    @Test
    @org.junit.jupiter.api.Tag("benchmark")
    void rollingRestartBenchmark() throws Exception {
        StringBuilder report = new StringBuilder();
        for (String wrapping : new String[] {null, "alias/signet-subkey-wrapping"}) {
            report.append(rollingRestart(wrapping)).append('\n');
            stopAll();
            running.clear();
            kmsCalls.clear();
            moto = null;
            proxy = null;
        }
        System.out.println(report);
        Files.writeString(Path.of(System.getProperty("signet.bench.out", "target/rolling-restart.txt")), report);
    }

    String rollingRestart(String wrapping) throws Exception {
        List<Replica> replicas = startThree(wrapping);
        awaitOneJwks(replicas);
        String masterKid = JWKSet.parse(jwks(replicas.getFirst())).getKeys().stream()
                .filter(k -> k.getX509CertChain() == null).findFirst().orElseThrow().getKeyID();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger tokens = new AtomicInteger();
        AtomicInteger byMaster = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Thread load = Thread.ofPlatform().start(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    HttpResponse<String> res = DevModeProcessTest.mint(http, replicas.get(i % 3).base());
                    if (res.statusCode() != 201) {
                        failed.incrementAndGet();
                        continue;
                    }
                    tokens.incrementAndGet();
                    String kid = SignedJWT.parse((String) JSONObjectUtils.parse(res.body()).get("token")).getHeader().getKeyID();
                    if (kid.equals(masterKid)) {
                        byMaster.incrementAndGet();
                    }
                } catch (Exception e) {
                    failed.incrementAndGet(); // the replica being restarted: a load balancer would skip it
                }
            }
        });
        Map<String, Integer> before = snapshot();
        long started = System.nanoTime();
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get(i);
            DevModeProcessTest.stop(running.get(i));
            running.set(i, serve(r));
        }
        awaitOneJwks(replicas);
        // Steady state after the restarts: as long again as the restarts took, at most 30 s.
        long restartMillis = (System.nanoTime() - started) / 1_000_000;
        Thread.sleep(Math.min(30_000, restartMillis));
        stop.set(true);
        load.join();
        Map<String, Integer> after = snapshot();
        Map<String, Integer> delta = new TreeMap<>();
        after.forEach((op, n) -> {
            if (n - before.getOrDefault(op, 0) > 0) {
                delta.put(op, n - before.getOrDefault(op, 0));
            }
        });
        return String.format("wrapping key %-30s restarts %5d ms, tokens %6d (by the master %6d, refused/unreachable %4d),"
                        + " KMS requests %s", wrapping == null ? "none" : wrapping, restartMillis, tokens.get(),
                byMaster.get(), failed.get(), delta);
    }

    Map<String, Integer> snapshot() {
        Map<String, Integer> m = new TreeMap<>();
        kmsCalls.forEach((op, n) -> m.put(op, n.get()));
        return m;
    }
}
