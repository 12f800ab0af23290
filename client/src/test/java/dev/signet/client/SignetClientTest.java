package dev.signet.client;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.MutableClock;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignetClientTest {

    static final String MINTER = "client-test-minter-credential-0123456789";
    @TempDir
    static Path dir;
    static Daemon daemon;
    static URI base;

    @BeforeAll
    static void start() {
        Map<String, String> c = new HashMap<>();
        c.put("signet.issuer", "https://signet.test");
        c.put("signet.port", "0");
        c.put("signet.admin.port", "0");
        c.put("signet.data-dir", dir.toString());
        c.put("signet.max-batch", "10");
        c.put("signet.admin.credential-hash", CredentialHash.of("admin-" + MINTER).text());
        c.put("signet.backend.type", "software");
        c.put("signet.minters.0.name", "front-end");
        c.put("signet.minters.0.credential-hash", CredentialHash.of(MINTER).text());
        c.put("signet.minters.0.audiences.0", "https://api.example.com");
        c.put("signet.minters.0.resources.0", "repo:acme/*");
        c.put("signet.minters.0.actions.0", "read");
        daemon = Daemon.start(SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build()), Clock.systemUTC());
        base = URI.create("http://127.0.0.1:" + daemon.server().port());
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    @Test
    void mintsATokenThatVerifiesAgainstTheJwks() throws Exception {
        try (SignetClient signet = SignetClient.builder(base).credential(MINTER).build()) {
            Token t = signet.mint(TokenRequest.builder("agent-7", "https://api.example.com")
                    .ttl(Duration.ofMinutes(5)).allow("repo:acme/widgets", "read").task("task-42").build());
            SignedJWT jwt = SignedJWT.parse(t.token());
            JWKSet jwks = JWKSet.load(new URL(base + "/.well-known/jwks.json"));
            assertTrue(JwsVerification.verifies(t.token(), jwks.getKeyByKeyId(t.kid())));
            assertEquals("agent-7", jwt.getJWTClaimsSet().getSubject());
            assertEquals("task-42", jwt.getJWTClaimsSet().getStringClaim("task"));
            assertEquals(jwt.getJWTClaimsSet().getExpirationTime().toInstant(), t.expiresAt());
            assertFalse(t.toString().contains(t.token()), "toString never shows the token");
        }
    }

    @Test
    void batchKeepsOrderAndTypesEachProblem() {
        try (SignetClient signet = SignetClient.builder(base).credential(MINTER).build()) {
            List<BatchResult> results = signet.mintBatch(List.of(
                    TokenRequest.builder("a", "https://api.example.com").allow("repo:acme/x", "read").build(),
                    TokenRequest.builder("b", "https://api.example.com").allow("repo:acme/x", "delete").build(),
                    TokenRequest.builder("c", "https://api.example.com").allow("repo:acme/y", "read").build()));
            assertEquals(3, results.size());
            assertTrue(results.get(0).ok());
            assertEquals("urn:signet:problem:permission-denied", results.get(1).problem().type());
            assertEquals(403, results.get(1).problem().status());
            assertTrue(results.get(2).ok());
        }
    }

    @Test
    void refusalsAreTypedProblemsAndNotRetried() {
        try (SignetClient signet = SignetClient.builder(base).credential(MINTER).build()) {
            SignetProblemException e = assertThrows(SignetProblemException.class, () -> signet.mint(
                    TokenRequest.builder("a", "https://other.example.com").allow("repo:acme/x", "read").build()));
            assertEquals("urn:signet:problem:permission-denied", e.problem().type());
            assertFalse(e.problem().retryable());
        }
        try (SignetClient wrong = SignetClient.builder(base).credential("not-the-credential").build()) {
            SignetProblemException e = assertThrows(SignetProblemException.class, () -> wrong.mint(
                    TokenRequest.builder("a", "https://api.example.com").allow("repo:acme/x", "read").build()));
            assertEquals(401, e.problem().status());
        }
    }

    /** A server that answers 503 + Retry-After a given number of times, then proxies to the daemon. */
    static HttpServer flaky(int failures, String retryAfter, AtomicInteger calls) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            int n = calls.incrementAndGet();
            if (n <= failures) {
                byte[] problem = "{\"type\":\"urn:signet:problem:unavailable\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"recovering\"}"
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Retry-After", retryAfter);
                ex.getResponseHeaders().add("Content-Type", "application/problem+json");
                ex.sendResponseHeaders(503, problem.length);
                ex.getResponseBody().write(problem);
            } else {
                java.net.http.HttpResponse<byte[]> real;
                try {
                    real = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        base.resolve(ex.getRequestURI().getPath())).header("Authorization",
                        ex.getRequestHeaders().getFirst("Authorization")).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    throw new java.io.IOException(e);
                }
                ex.sendResponseHeaders(real.statusCode(), real.body().length);
                ex.getResponseBody().write(real.body());
            }
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void unavailableIsRetriedAfterRetryAfterWithJitterWithinTheDeadlineAndTheBudget() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer s = flaky(2, "2", calls);
        MutableClock clock = new MutableClock(Instant.parse("2026-11-30T09:00:00Z"));
        List<Duration> slept = new ArrayList<>();
        try (SignetClient signet = SignetClient.builder(URI.create("http://127.0.0.1:" + s.getAddress().getPort()))
                .credential(MINTER).clock(clock, d -> { slept.add(d); clock.advance(d); }).build()) {
            Token t = signet.mint(TokenRequest.builder("a", "https://api.example.com").allow("repo:acme/x", "read").build());
            assertTrue(t.token().startsWith("ey"));
            assertEquals(3, calls.get());
            assertEquals(2, slept.size());
            for (Duration d : slept) {
                assertTrue(d.compareTo(Duration.ofSeconds(2)) >= 0 && d.compareTo(Duration.ofSeconds(3)) <= 0,
                        "Retry-After is a floor, jitter adds at most half: " + d);
            }
        } finally {
            s.stop(0);
        }
    }

    @Test
    void noRetryPastTheDeadlineOrTheRetryBudget() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer s = flaky(100, "60", calls);
        MutableClock clock = new MutableClock(Instant.parse("2026-11-30T09:00:00Z"));
        URI uri = URI.create("http://127.0.0.1:" + s.getAddress().getPort());
        TokenRequest r = TokenRequest.builder("a", "https://api.example.com").allow("repo:acme/x", "read").build();
        try (SignetClient signet = SignetClient.builder(uri).credential(MINTER).deadline(Duration.ofSeconds(15))
                .clock(clock, clock::advance).build()) {
            SignetProblemException e = assertThrows(SignetProblemException.class, () -> signet.mint(r));
            assertEquals(503, e.problem().status());
            assertEquals(Duration.ofSeconds(60), e.problem().retryAfter());
            assertEquals(1, calls.get(), "a Retry-After beyond the deadline is not waited for");
        }
        calls.set(0);
        HttpServer quick = flaky(100, "1", calls);
        try (SignetClient signet = SignetClient.builder(URI.create("http://127.0.0.1:" + quick.getAddress().getPort()))
                .credential(MINTER).deadline(Duration.ofMinutes(10)).maxAttempts(100).retryBudget(0, 3)
                .clock(clock, clock::advance).build()) {
            assertThrows(SignetProblemException.class, () -> signet.mint(r));
            assertEquals(4, calls.get(), "one attempt and the budget's three retries");
            calls.set(0);
            assertThrows(SignetProblemException.class, () -> signet.mint(r));
            assertEquals(1, calls.get(), "the budget is spent: no retries until requests refill it");
        } finally {
            s.stop(0);
            quick.stop(0);
        }
    }
}
