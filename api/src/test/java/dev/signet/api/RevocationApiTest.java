package dev.signet.api;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.Inflater;

import static dev.signet.api.TestDaemon.ADMIN;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Status claims, served status lists and the revocation verbs, over real sockets, across a restart. */
class RevocationApiTest {

    @TempDir
    Path dir;

    record Minted(String token, String jti, int idx, String uri) {
    }

    static Minted mint(TestDaemon d, String credential, String sub, String aud, String resource, String task)
            throws Exception {
        String body = "{\"sub\":\"" + sub + "\",\"aud\":\"" + aud + "\",\"ttl\":120,\"scope\":[{\"resource\":\""
                + resource + "\",\"actions\":[\"read\"]}]" + (task == null ? "" : ",\"task\":\"" + task + "\"") + "}";
        HttpResponse<String> r = d.mint(credential, body);
        assertEquals(201, r.statusCode(), r.body());
        String token = (String) json(r).get("token");
        var claims = SignedJWT.parse(token).getJWTClaimsSet();
        @SuppressWarnings("unchecked")
        Map<String, Object> sl = (Map<String, Object>) claims.getJSONObjectClaim("status").get("status_list");
        return new Minted(token, claims.getJWTID(), ((Number) sl.get("idx")).intValue(), (String) sl.get("uri"));
    }

    static Minted alpha(TestDaemon d, String sub, String task) throws Exception {
        return mint(d, ALPHA, sub, "https://alpha.example", "repo:alpha/x", task);
    }

    static HttpResponse<String> admin(TestDaemon d, String method, String path, String body) {
        return d.send(HttpRequest.newBuilder(URI.create(d.adminBase() + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static int revoke(TestDaemon d, String member, String value, int covered) {
        HttpResponse<String> r = admin(d, "POST", "/v1/revocations", "{\"" + member + "\":\"" + value
                + "\",\"reason\":\"test\"}");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals(covered, ((Number) json(r).get("covered")).intValue(), r.body());
        return covered;
    }

    /** The served list for {@code uri}: signature checked against the JWKS, bits inflated. */
    static byte[] bits(TestDaemon d, String uri) throws Exception {
        String path = URI.create(uri).getRawPath();
        HttpResponse<String> r = d.get(d.base() + path);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/statuslist+jwt", r.headers().firstValue("Content-Type").orElseThrow());
        SignedJWT jwt = SignedJWT.parse(r.body());
        assertEquals("statuslist+jwt", jwt.getHeader().getType().getType());
        JWKSet jwks = JWKSet.parse(d.get(d.jwksUrl()).body());
        ECKey key = (ECKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertTrue(jwt.verify(new ECDSAVerifier(key)), "signed by a published key");
        var claims = jwt.getJWTClaimsSet();
        assertEquals(uri, claims.getSubject());
        assertTrue(claims.getLongClaim("ttl") > 0 && claims.getExpirationTime() != null);
        Map<String, Object> sl = claims.getJSONObjectClaim("status_list");
        assertEquals(1, ((Number) sl.get("bits")).intValue());
        Inflater inflater = new Inflater();
        inflater.setInput(Base64.getUrlDecoder().decode((String) sl.get("lst")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!inflater.finished()) {
            out.write(buf, 0, inflater.inflate(buf));
        }
        return out.toByteArray();
    }

    /**
     * The served list once it shows {@code expected} (a list is re-signed at most once a second, so a change
     * shows within about that; the deadline is far past it), or the last one served.
     */
    static byte[] settled(TestDaemon d, String uri, Map<Minted, Boolean> expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            byte[] bits = bits(d, uri);
            boolean all = expected.entrySet().stream().filter(e -> e.getKey().uri().equals(uri))
                    .allMatch(e -> bit(bits, e.getKey().idx()) == e.getValue());
            if (all || System.nanoTime() > deadline) {
                return bits;
            }
            Thread.sleep(100);
        }
    }

    static boolean bit(byte[] bits, int idx) {
        return (bits[idx / 8] >> (idx % 8) & 1) == 1;
    }

    @Test
    void eachKindRevokesExactlyItsTokensInTheServedListAndSurvivesRestart() throws Exception {
        Map<Minted, Boolean> expected = new LinkedHashMap<>();
        Minted byJti;
        Minted t7;
        try (TestDaemon d = new TestDaemon(dir)) {
            byJti = alpha(d, "a1", "t1");
            expected.put(byJti, true);
            expected.put(alpha(d, "a1", "t2"), true);
            expected.put(alpha(d, "a2", "t2"), true);
            expected.put(mint(d, BETA, "a3", "https://beta.example", "repo:beta/y", null), true);
            expected.put(alpha(d, "a5", "t4"), true);
            expected.put(alpha(d, "a4", "t3"), false);
            expected.put(alpha(d, "a1", "t1"), false);
            t7 = alpha(d, "a7", "t7"); // revoked after the restart
            assertTrue(expected.keySet().stream().allMatch(m -> m.uri().startsWith("https://signet.test/v1/status-lists/")));

            revoke(d, "jti", byJti.jti(), 1);
            revoke(d, "task", "t2", 2);
            revoke(d, "client_id", "beta", 1);
            revoke(d, "sub", "a5", 1);

            String uri = byJti.uri();
            byte[] bits = settled(d, uri, expected);
            expected.forEach((m, revoked) -> assertEquals(revoked, bit(bits, m.idx()), m + " revoked=" + revoked));
            assertEquals(expected.size(), expected.keySet().stream().map(Minted::idx).distinct().count());

            assertEquals(403, d.mint(ALPHA, TestDaemon.request("a9", "https://alpha.example", 60, "repo:alpha/x",
                    "read").replace("}]}", "}],\"task\":\"t2\"}")).statusCode(), "a revoked task gets no new token");
            assertEquals(403, d.mint(BETA, TestDaemon.request("a9", "https://beta.example", 60, "repo:beta/x",
                    "read")).statusCode(), "a revoked minter gets no new token");

            HttpResponse<String> listed = admin(d, "GET", "/v1/revocations", null);
            assertEquals(200, listed.statusCode(), listed.body());
            assertEquals(4, ((List<?>) json(listed).get("revocations")).size(), listed.body());
            assertTrue(listed.body().contains("signet.minters"), "the client_id rule says it does not disable the minter");

            assertEquals(true, pythonReadsBit(d, uri, byJti.idx()), "an independent decoder agrees");
        }
        try (TestDaemon d = new TestDaemon(dir)) {
            byte[] bits = bits(d, byJti.uri());
            expected.forEach((m, revoked) -> assertEquals(revoked, bit(bits, m.idx()), "after restart: " + m));
            Minted after = alpha(d, "a6", "t6");
            assertFalse(after.uri().equals(byJti.uri()) && expected.keySet().stream().anyMatch(m -> m.idx() == after.idx()),
                    "an index handed out before the restart is never handed out again");
            assertEquals(403, d.mint(ALPHA, TestDaemon.request("a9", "https://alpha.example", 60, "repo:alpha/x",
                    "read").replace("}]}", "}],\"task\":\"t2\"}")).statusCode(), "the task rule survives restart");
            assertEquals(4, ((List<?>) json(admin(d, "GET", "/v1/revocations", null)).get("revocations")).size());

            // The audit log gave back the facts of tokens issued before the restart: new rules cover them.
            revoke(d, "task", "t7", 1);
            expected.put(t7, true);
            Minted a4 = expected.keySet().stream().filter(m -> !expected.get(m)).findFirst().orElseThrow();
            revoke(d, "jti", a4.jti(), 1);
            expected.put(a4, true);
            byte[] last = settled(d, byJti.uri(), expected);
            expected.forEach((m, revoked) -> assertEquals(revoked, bit(last, m.idx()), "rule after restart: " + m));
        }
    }

    @Test
    void badRevocationsGetA4xxProblem() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (TestDaemon d = new TestDaemon(dir, Map.of(), clock)) {
            alpha(d, "a1", "t1");
            Minted expired = alpha(d, "a2", "t2");
            clock.advance(Duration.ofSeconds(121));
            HttpResponse<String> late = admin(d, "POST", "/v1/revocations", "{\"jti\":\"" + expired.jti() + "\"}");
            assertEquals(409, late.statusCode(), late.body());
            assertTrue(late.body().contains("expired"), late.body());
            Map<String, Integer> cases = new HashMap<>();
            cases.put("{}", 422);
            cases.put("{\"task\":\"t1\",\"sub\":\"a1\"}", 422);
            cases.put("{\"task\":\"\"}", 422);
            cases.put("{\"task\":7}", 422);
            cases.put("{\"kid\":\"x\"}", 422);
            cases.put("{\"jti\":\"not a jti\"}", 422);
            cases.put("{\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", 404);
            cases.put("{\"task\":\"" + "x".repeat(5000) + "\"}", 413);
            cases.put("{\"jti\":[\"AAAAAAAAAAAAAAAAAAAAAA\",\"AAAAAAAAAAAAAAAAAAAAAB\"]}", 422); // one rule, one value
            cases.put("{\"jti\":[" + "\"AAAAAAAAAAAAAAAAAAAAAA\",".repeat(10_000) + "\"x\"]}", 413); // a huge batch
            cases.put("not json", 400);
            cases.forEach((body, status) -> {
                HttpResponse<String> r = admin(d, "POST", "/v1/revocations", body);
                assertEquals(status, r.statusCode(), body + " -> " + r.body());
                assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), body);
            });
            HttpResponse<String> anonymous = d.send(HttpRequest.newBuilder(URI.create(d.adminBase() + "/v1/revocations"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"t1\"}")).build());
            assertEquals(401, anonymous.statusCode());
            assertEquals(404, d.get(d.base() + "/v1/status-lists/nope").statusCode());
        }
    }

    /** Decodes the served list the way the draft describes, in a few lines of Python: no Java involved. */
    Boolean pythonReadsBit(TestDaemon d, String uri, int idx) throws Exception {
        boolean available = new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        RealBackends.require(available, "python3", "apt-get install python3");
        if (!available) {
            return true;
        }
        Path list = dir.resolve("list.jwt");
        Files.writeString(list, d.get(d.base() + URI.create(uri).getRawPath()).body());
        String script = """
                import base64, json, sys, zlib
                def b64(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
                claims = json.loads(b64(open(sys.argv[1]).read().split('.')[1]))
                bits = zlib.decompress(b64(claims['status_list']['lst']))
                i = int(sys.argv[2]); print((bits[i // 8] >> (i % 8)) & 1)
                """;
        Process p = new ProcessBuilder("python3", "-c", script, list.toString(), Integer.toString(idx))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), out);
        return out.equals("1");
    }
}
