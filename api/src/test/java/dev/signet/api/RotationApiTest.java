package dev.signet.api;

import dev.signet.spi.testing.MutableClock;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.signet.api.TestDaemon.ADMIN;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rotation end to end over HTTP, with a clock the test moves: the JWKS never strands a token. */
class RotationApiTest {

    static final Duration LEAD = Duration.ofHours(1);

    @TempDir
    Path dataDir;
    MutableClock clock = new MutableClock(Instant.now());
    TestDaemon signet;

    @BeforeEach
    void start() {
        signet = new TestDaemon(dataDir, Map.of("signet.rotation.prepublish-lead", "PT1H",
                "signet.rotation.period", "P1D"), clock);
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    String mint() {
        HttpResponse<String> res = signet.mint(ALPHA, request("agent", "https://alpha.example", 600, "repo:alpha/x", "read"));
        assertEquals(201, res.statusCode(), res.body());
        return (String) json(res).get("token");
    }

    static String kid(String token) throws Exception {
        return SignedJWT.parse(token).getHeader().getKeyID();
    }

    JWKSet jwks() throws Exception {
        return JWKSet.parse(signet.get(signet.jwksUrl()).body());
    }

    HttpResponse<String> admin(String path) {
        return signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + path))
                .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> keys(HttpResponse<String> res) {
        assertEquals(200, res.statusCode(), res.body());
        return (List<Map<String, Object>>) json(res).get("keys");
    }

    Map<String, Object> key(List<Map<String, Object>> keys, String kid) {
        return keys.stream().filter(k -> kid.equals(k.get("kid"))).findFirst().orElse(null);
    }

    /** Time passes as in production: the RotationScheduler's tick every check interval, never one big jump. */
    void passTime(Duration d) {
        Duration step = Duration.ofSeconds(30);
        for (Duration left = d; !left.isNegative() && !left.isZero(); left = left.minus(step)) {
            clock.advance(left.compareTo(step) < 0 ? left : step);
            signet.daemon.keyRing().tick();
        }
    }

    void verifies(String token, JWKSet set) throws Exception {
        JWK jwk = set.getKeyByKeyId(kid(token));
        assertNotNull(jwk, "kid " + kid(token) + " must be in the JWKS " + set.getKeys().stream().map(JWK::getKeyID).toList());
        assertTrue(JwsVerification.verifies(token, jwk));
    }

    @Test
    void scheduledOverlapPublishesTheNextKeyFirstAndKeepsTheOldOne() throws Exception {
        String before = mint();
        String k1 = kid(before);
        List<Map<String, Object>> afterRotate = keys(admin("/v1/keys/rotate"));
        String k2 = afterRotate.stream().filter(k -> "PREPARED".equals(k.get("state"))).findFirst().orElseThrow()
                .get("kid").toString();
        assertEquals(Instant.parse((String) key(afterRotate, k2).get("activates")), clock.instant().plus(LEAD));

        // Published before it signs: a verifier that fetches now knows k2 an hour before its first token.
        JWKSet cachedAtPrepare = jwks();
        assertNotNull(cachedAtPrepare.getKeyByKeyId(k2));
        assertEquals(k1, kid(mint()), "a PREPARED key does not sign");

        passTime(LEAD.plusSeconds(1));
        String after = mint();
        assertEquals(k2, kid(after), "the next key signs once its lead has passed");
        verifies(after, cachedAtPrepare);
        verifies(before, jwks()); // k1 is RETIRED but still published for tokens it signed
        Map<String, Object> retired = key(keys(signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + ADMIN)), k1);
        assertEquals("RETIRED", retired.get("state"));
        assertTrue(Instant.parse((String) retired.get("unpublishes")).isAfter(clock.instant().plus(Duration.ofMinutes(10))),
                "the retired key stays published past the expiry of every token it signed");
    }

    @Test
    void afterARotateTheActiveKeyRetiresWhenTheNextActivatesInTheKeyList() throws Exception {
        String k1 = kid(mint());
        Map<String, Object> before = key(keys(signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + ADMIN)), k1);
        Instant scheduled = Instant.parse((String) before.get("retires"));
        Duration retention = Duration.between(scheduled, Instant.parse((String) before.get("unpublishes")));
        keys(admin("/v1/keys/rotate"));
        List<Map<String, Object>> listed = keys(signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + ADMIN));
        Map<String, Object> next = listed.stream().filter(k -> "PREPARED".equals(k.get("state"))).findFirst().orElseThrow();
        Instant activates = Instant.parse((String) next.get("activates"));
        assertTrue(activates.isBefore(scheduled), "the rotate brings the change forward");
        Map<String, Object> active = key(listed, k1);
        assertEquals(activates, Instant.parse((String) active.get("retires")), "it retires when " + next.get("kid") + " activates");
        assertEquals(activates.plus(retention), Instant.parse((String) active.get("unpublishes")), "published a retention after");

        passTime(LEAD.plusSeconds(1));
        Map<String, Object> retired = key(keys(signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + ADMIN)), k1);
        assertEquals("RETIRED", retired.get("state"));
        assertTrue(!Instant.parse((String) retired.get("retires")).isBefore(activates)
                && !Instant.parse((String) retired.get("retires")).isAfter(activates.plusSeconds(30)),
                "the list showed the retirement that happened: " + retired.get("retires"));
    }

    @Test
    void revocationUnpublishesAtOnceAndANewKeySigns() throws Exception {
        String k1 = kid(mint());
        List<Map<String, Object>> after = keys(admin("/v1/keys/" + k1 + "/revoke"));
        assertTrue(List.of("REVOKED", "DESTROYED").contains(key(after, k1).get("state")), after.toString());
        assertNull(jwks().getKeyByKeyId(k1), "a revoked kid leaves the JWKS at once");
        String next = mint();
        assertNotEquals(k1, kid(next));
        verifies(next, jwks());
        HttpResponse<String> again = admin("/v1/keys/" + k1 + "/revoke");
        assertEquals(409, again.statusCode(), again.body());
        assertEquals(404, admin("/v1/keys/no-such-kid/activate").statusCode());
    }

    @Test
    void aRevokedKeyIsKeptForTheGraceUnlessDestroyedNow() {
        String k1 = signet.daemon.keyRing().signingSlot().key().id();
        Map<String, Object> revoked = key(keys(admin("/v1/keys/" + k1 + "/revoke")), k1);
        assertEquals("REVOKED", revoked.get("state"));
        assertEquals(clock.instant().plus(Duration.ofDays(7)), Instant.parse((String) revoked.get("destroys")));
        assertTrue(signet.daemon.backend().list().stream().anyMatch(k -> k.id().equals(k1)), "kept in the backend");

        HttpResponse<String> notNow = admin("/v1/keys/" + k1 + "/destroy");
        assertEquals(422, notNow.statusCode(), notNow.body());
        assertTrue(notNow.body().contains("now=true"), notNow.body());
        assertEquals("DESTROYED", key(keys(admin("/v1/keys/" + k1 + "/destroy?now=true")), k1).get("state"));
        assertTrue(signet.daemon.backend().list().stream().noneMatch(k -> k.id().equals(k1)), "gone from the backend");
    }

    @Test
    void aForcedActivationIsRefusedWhenTheJwksIsFull() {
        // Forced rotations, each adding a published key, until rotation.max-published (6) is reached.
        for (int i = 0; i < 5; i++) {
            String next = keys(admin("/v1/keys/prepare")).stream().filter(k -> "PREPARED".equals(k.get("state")))
                    .findFirst().orElseThrow().get("kid").toString();
            HttpResponse<String> forced = admin("/v1/keys/" + next + "/activate");
            if (forced.statusCode() != 200) {
                assertEquals(409, forced.statusCode(), forced.body());
                assertTrue(forced.body().contains("rotation.max-published"), forced.body());
                assertEquals(6, jwksSize(), "refused with the JWKS full");
                String active = signet.daemon.keyRing().signingSlot().key().id();
                assertEquals(200, admin("/v1/keys/" + active + "/revoke").statusCode(), "revoke is never refused");
                return;
            }
        }
        throw new AssertionError("six forced activations were allowed");
    }

    @Test
    void aDeletedJournalStopsTheStartUntilTheOperatorInitialisesANewIssuer() throws Exception {
        String before = kid(mint());
        signet.close();
        java.nio.file.Files.delete(Daemon.issuerDir(signet.config).resolve("keyset"));
        dev.signet.spi.SignetException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.signet.spi.SignetException.class, () -> Daemon.start(signet.config, clock).close());
        assertEquals(dev.signet.spi.SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("--init-issuer"), e.getMessage());
        try (Daemon fresh = Daemon.start(signet.config, clock, true)) {
            assertNotEquals(before, fresh.keyRing().signingSlot().key().id(), "a new issuer, on the operator's word");
        }
        signet = new TestDaemon(dataDir, Map.of("signet.rotation.prepublish-lead", "PT1H",
                "signet.rotation.period", "P1D"), clock); // for stop()
    }

    int jwksSize() {
        try {
            return jwks().getKeys().size();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void operatorVerbsNeedTheAdminCredential() {
        HttpResponse<String> res = signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/v1/keys/rotate"))
                .header("Authorization", "Bearer " + ALPHA).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(401, res.statusCode());
        assertEquals(1, signet.daemon.keyRing().describe().size(), "nothing was prepared");
    }

    /**
     * Minting runs on several threads while rotations are started and time passes; counts, not durations,
     * bound the load, so the outcome is exact however fast the machine is.
     */
    @Test
    void rotationUnderLoadLosesNoRequestAndLeavesNoUnverifiableToken() throws Exception {
        int threads = 4;
        int perThread = 8;
        int rounds = 3;
        ConcurrentLinkedQueue<String> tokens = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        tokens.add(mint());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    workers.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            HttpResponse<String> res = signet.mint(ALPHA, request("agent", "https://alpha.example", 600,
                                    "repo:alpha/x", "read"));
                            if (res.statusCode() != 201) {
                                failures.add(res.statusCode() + " " + res.body());
                                continue;
                            }
                            String token = (String) json(res).get("token");
                            try {
                                verifies(token, jwks()); // a verifier fetching the JWKS right after issuance
                            } catch (Exception | AssertionError e) {
                                failures.add("unverifiable: " + e.getMessage());
                            }
                            tokens.add(token);
                        }
                    }));
                }
                List<Map<String, Object>> rotated = keys(admin("/v1/keys/rotate"));
                String next = rotated.stream().filter(k -> "PREPARED".equals(k.get("state"))).findFirst().orElseThrow()
                        .get("kid").toString();
                passTime(LEAD.plusSeconds(1));
                for (Future<?> w : workers) {
                    w.get(60, TimeUnit.SECONDS);
                }
                String after = mint();
                assertEquals(next, kid(after), "round " + round + ": the rotated-to key signs");
                tokens.add(after);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), List.copyOf(failures), "no request lost");
        assertEquals(1 + rounds * (threads * perThread + 1), tokens.size());
        JWKSet finalJwks = jwks();
        List<String> seen = new ArrayList<>();
        for (String t : tokens) {
            if (SignedJWT.parse(t).getJWTClaimsSet().getExpirationTime().toInstant().isAfter(clock.instant())) {
                verifies(t, finalJwks); // unexpired tokens still verify after all rotations
            }
            if (!seen.contains(kid(t))) {
                seen.add(kid(t));
            }
        }
        assertEquals(rounds + 1, seen.size(), "tokens were signed by all four keys: " + seen);
    }
}
