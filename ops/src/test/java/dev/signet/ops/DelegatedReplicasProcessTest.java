package dev.signet.ops;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.ops.Replicas.Replica;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
    Moto moto;
    KmsProxy kms;
    Replicas fleet;

    @AfterEach
    void stopAll() throws Exception {
        if (fleet != null) {
            fleet.killAll();
        }
        if (kms != null) {
            kms.close();
        }
        if (moto != null) {
            moto.close();
        }
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

    /** moto_server behind a counting proxy, a new database, and three replicas started one after another. */
    List<Replica> startThree(String wrappingKey) throws Exception {
        Moto.require();
        moto = Moto.start(dir.resolve("moto.log"));
        kms = KmsProxy.start(moto.port());
        fleet = new Replicas(dir, PostgresDatabase.create(dir), Replicas.KMS_ENV);
        String delegation = """
                  mode: delegated
                  delegation:
                    lifetime: PT1H
                """ + (wrappingKey == null ? "" : "    wrapping-key: \"" + wrappingKey + "\"\n");
        List<Replica> replicas = new ArrayList<>();
        // One after another: three JVMs starting at once on a loaded 2-core machine overrun the start deadline.
        for (String name : List.of("az-a", "az-b", "az-c")) {
            replicas.add(fleet.start(name, delegation, "", Replicas.kms(kms.port())));
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
            fleet = null;
            moto = null;
            kms = null;
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
        Map<String, Integer> before = kms.calls();
        long started = System.nanoTime();
        for (Replica r : replicas) {
            r.stop();
            r.start();
        }
        awaitOneJwks(replicas);
        // Steady state after the restarts: as long again as the restarts took, at most 30 s.
        long restartMillis = (System.nanoTime() - started) / 1_000_000;
        Thread.sleep(Math.min(30_000, restartMillis));
        stop.set(true);
        load.join();
        Map<String, Integer> after = kms.calls();
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
}
