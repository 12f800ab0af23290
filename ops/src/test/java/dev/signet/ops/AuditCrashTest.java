package dev.signet.ops;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.audit.AuditSearch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kill -9 under load: every token a client received has its audit record, and the chain verifies after restart. */
class AuditCrashTest {

    @TempDir
    Path dataDir;

    @Test
    void everyTokenReturnedBeforeAKill9IsInTheVerifiedLog() throws Exception {
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        DevModeProcessTest.Started dev = DevModeProcessTest.startDev(dataDir, Map.of(), "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        AtomicInteger sent = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(200);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokens"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"a\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                        + "\"scope\":[{\"resource\":\"repo:x\",\"actions\":[\"read\"]}],\"task\":\"crash\"}")).build();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 8; c++) {
                pool.submit(() -> {
                    while (sent.incrementAndGet() < 5_000) { // bounded: the kill ends it long before
                        try {
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 201) {
                                received.add(SignedJWT.parse((String) JSONObjectUtils.parse(r.body()).get("token"))
                                        .getJWTClaimsSet().getJWTID());
                                enough.countDown();
                            }
                        } catch (Exception e) {
                            return null; // the daemon died under us
                        }
                    }
                    return null;
                });
            }
            assertTrue(enough.await(120, java.util.concurrent.TimeUnit.SECONDS), "tokens flow before the kill");
            CrashRestartTest.kill9(dev);
        }
        Path log;
        try (var s = Files.list(dataDir.resolve("audit"))) {
            log = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        // A restart cuts a torn tail (if the kill left one) and continues the chain.
        dev = DevModeProcessTest.startDev(dataDir, Map.of(), "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
        DevModeProcessTest.stop(dev);

        for (String jti : received) {
            assertEquals(1, AuditSearch.find(log, Map.of("jti", jti), l -> { }), "received token " + jti + " is audited");
        }
        PrintStream out = System.out;
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        int status;
        System.setOut(new PrintStream(report, true));
        try {
            status = AuditCommand.run(new ArrayDeque<>(List.of("verify", log.toString())));
        } finally {
            System.setOut(out);
        }
        assertEquals(0, status, report.toString());
        assertTrue(report.toString().startsWith("OK: "), report.toString());
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        try {
            assertEquals(0, AuditCommand.run(new ArrayDeque<>(List.of("find", log.toString(), "--task", "crash"))));
        } finally {
            System.setOut(out);
        }
    }
}
