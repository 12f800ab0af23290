package dev.signet.api;

import dev.signet.audit.AuditSearch;
import dev.signet.audit.AuditVerifier;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every token handed out has a durable audit record; a log that cannot record stops signing (fail closed). */
class AuditTrailApiTest {

    @TempDir
    Path dir;

    static long found(Path log, String field, String value) throws IOException {
        return AuditSearch.find(log, Map.of(field, value), l -> { });
    }

    static Path replicaLog(Path auditDir) throws IOException {
        try (var s = Files.list(auditDir)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    @Test
    void everyTokenAndEveryRefusalIsRecordedAndTheChainVerifies() throws Exception {
        List<String> jtis = new ArrayList<>();
        String masterKid;
        try (TestDaemon d = new TestDaemon(dir)) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = d.mint(ALPHA, request("agent-" + i, "https://alpha.example", 60, "repo:alpha/x", "read"));
                assertEquals(201, r.statusCode(), r.body());
                jtis.add(jti((String) json(r).get("token")));
            }
            HttpResponse<String> batch = d.post("/v1/tokens/batch", ALPHA, "application/json", "{\"requests\":["
                    + request("b1", "https://alpha.example", 60, "repo:alpha/y", "read") + ","
                    + request("b2", "https://evil.example", 60, "repo:alpha/y", "read") + "]}");
            assertEquals(200, batch.statusCode(), batch.body());
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> results = (List<Map<String, Object>>) json(batch).get("results");
            jtis.add(jti((String) results.get(0).get("token")));
            assertEquals(403, d.mint(ALPHA, request("x", "https://alpha.example", 60, "repo:other/z", "read")).statusCode());
            for (int i = 0; i < 5; i++) {
                assertEquals(401, d.mint("wrong-credential", request("x", "https://alpha.example", 60, "repo:alpha/x", "read")).statusCode());
            }
            masterKid = d.daemon.keyRing().signingSlot().key().id();
            HttpResponse<String> rotated = d.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(d.adminBase() + "/v1/keys/rotate")).header("Authorization", "Bearer " + TestDaemon.ADMIN)
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(200, rotated.statusCode(), rotated.body());
        }
        Path log = replicaLog(dir.resolve("audit"));
        for (String jti : jtis) {
            assertEquals(1, found(log, "jti", jti), "token " + jti + " has its record");
        }
        assertEquals(1, found(log, "sub", "agent-1"));
        List<String> lines = new ArrayList<>();
        AuditSearch.find(log, Map.of("client_id", "alpha"), lines::add);
        assertEquals(2, lines.stream().filter(l -> l.contains("\"type\":\"refusal\"")).count(),
                "the batch item and the single request outside policy: " + lines);
        String all = String.join("\n", Files.readAllLines(Files.list(log).sorted().toList().getFirst()));
        assertTrue(all.contains("\"type\":\"refusals\"") && all.contains("\"count\":5"),
                "five unauthenticated refusals are one aggregated record: " + all);
        assertTrue(!all.contains("wrong-credential") && !all.contains(ALPHA), "no credential is ever recorded");
        assertTrue(all.contains("\"type\":\"key\"") && all.contains("\"to\":\"ACTIVE\""),
                "the key set at start-up is recorded: " + all);
        List<String> operator = new ArrayList<>();
        AuditSearch.find(log, Map.of("kid", masterKid), operator::add);
        String ops = String.join("\n", lines(log));
        assertTrue(ops.contains("\"verb\":\"keys rotate\"") && ops.contains("\"phase\":\"requested\"")
                && ops.contains("\"phase\":\"done\"") && ops.contains("\"from\":\"127.0.0.1\""),
                "the operator verb, who and from where: " + ops);
        AuditVerifier.Report report = AuditVerifier.verify(log, Optional.of(masterKid));
        assertTrue(report.ok(), report.describe());
    }

    static List<String> lines(Path log) throws IOException {
        List<String> all = new ArrayList<>();
        try (var s = Files.list(log)) {
            for (Path p : s.sorted().toList()) {
                all.addAll(Files.readAllLines(p));
            }
        }
        return all;
    }

    static String jti(String token) {
        try {
            return com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }

    /** A real full disk: a small tmpfs for the audit directory (the test mounts it; it needs root). */
    @Test
    void aFullDiskStopsSigningWith503AndReadinessDownAndNothingReturnedIsUnaudited() throws Exception {
        Path mount = dir.resolve("small");
        Files.createDirectories(mount);
        if (!tmpfs(mount, "48k")) {
            RealBackends.require(false, "mounting a tmpfs to fill a disk", "run the tests as root (CI does)");
            return;
        }
        try {
            List<String> returned = new ArrayList<>();
            try (TestDaemon d = new TestDaemon(dir, Map.of("signet.audit.dir", mount.toString()))) {
                HttpResponse<String> r = null;
                for (int i = 0; i < 1000; i++) {
                    r = d.mint(ALPHA, request("agent-" + i, "https://alpha.example", 60, "repo:alpha/x", "read"));
                    if (r.statusCode() != 201) {
                        break;
                    }
                    returned.add(jti((String) json(r).get("token")));
                }
                assertEquals(503, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
                assertTrue(returned.size() > 10, "it signed until the disk filled: " + returned.size());
                HttpResponse<String> health = d.get(d.adminBase() + "/observe/health");
                assertEquals(503, health.statusCode(), "readiness is DOWN while the trail cannot record: " + health.body());
                assertTrue(health.body().contains("audit"), health.body());

                assertTrue(tmpfsResize(mount, "4m"), "space returns");
                Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
                do {
                    r = d.mint(ALPHA, request("again", "https://alpha.example", 60, "repo:alpha/x", "read"));
                } while (r.statusCode() == 503 && Instant.now().isBefore(deadline) && pause());
                assertEquals(201, r.statusCode(), "signing resumes by itself once the log writes again: " + r.body());
                returned.add(jti((String) json(r).get("token")));
            }
            Path log = replicaLog(mount);
            for (String jti : returned) {
                assertEquals(1, found(log, "jti", jti), "returned token " + jti + " was audited");
            }
            assertTrue(AuditVerifier.verify(log, Optional.empty()).ok());
        } finally {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
        }
    }

    static boolean pause() throws InterruptedException {
        Thread.sleep(200); // polling a real recovery, bounded by the deadline above
        return true;
    }

    static boolean tmpfs(Path at, String size) throws Exception {
        return new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", at.toString())
                .redirectErrorStream(true).start().waitFor() == 0;
    }

    static boolean tmpfsResize(Path at, String size) throws Exception {
        return new ProcessBuilder("mount", "-o", "remount,size=" + size, at.toString())
                .redirectErrorStream(true).start().waitFor() == 0;
    }
}
