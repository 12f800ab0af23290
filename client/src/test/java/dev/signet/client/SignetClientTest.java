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
        c.put("signet.minters.0.actions.1", "write");
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

    static com.nimbusds.jose.jwk.ECKey newKey() throws Exception {
        return new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).generate();
    }

    static Token boundParent(SignetClient signet, com.nimbusds.jose.jwk.JWK holder) {
        return signet.mint(TokenRequest.builder("agent-7", "https://api.example.com").ttl(Duration.ofMinutes(10))
                .allow("repo:acme/widgets", "read", "write").task("task-42").boundTo(holder).build());
    }

    @Test
    void exchangeDelegatesANarrowerBoundChildThatVerifiesOffline() throws Exception {
        var holder = newKey();
        var subAgent = newKey();
        try (SignetClient minter = SignetClient.builder(base).credential(MINTER).build();
             SignetClient agent = SignetClient.builder(base).issuer("https://signet.test").build()) {
            Token parent = boundParent(minter, holder);
            ExchangedToken child = agent.exchange(ExchangeRequest.builder(parent.token()).proofKey(holder)
                    .actor("sub-agent-1", subAgent).allow("repo:acme/widgets", "read")
                    .requestedTtl(Duration.ofMinutes(5)).build());
            assertEquals("DPoP", child.tokenType());
            assertTrue(child.expiresIn().compareTo(Duration.ofMinutes(5)) <= 0, child.toString());
            assertFalse(child.toString().contains(child.accessToken()), "toString never shows the token");
            SignedJWT jwt = SignedJWT.parse(child.accessToken());
            JWKSet jwks = JWKSet.load(new URL(base + "/.well-known/jwks.json"));
            assertTrue(JwsVerification.verifies(child.accessToken(), jwks.getKeyByKeyId(jwt.getHeader().getKeyID())));
            var claims = jwt.getJWTClaimsSet();
            assertEquals("agent-7", claims.getSubject());
            assertEquals("front-end", claims.getStringClaim("client_id"));
            assertEquals("sub-agent-1", claims.getJSONObjectClaim("act").get("sub"));
            assertEquals(Proofs.thumbprint(subAgent), claims.getJSONObjectClaim("cnf").get("jkt"));
            assertEquals(1L, claims.getLongClaim("signet_depth"));

            ExchangedToken bearer = agent.exchange(ExchangeRequest.builder(parent.token())
                    .dpop(Proofs.dpop(holder, "https://signet.test/v1/token-exchange", parent.token(), Instant.now()))
                    .actor("sub-agent-2").build());
            assertEquals("Bearer", bearer.tokenType(), "a caller-built proof works as well");
        }
    }

    @Test
    void exchangeRefusalsAreTypedOAuthErrors() throws Exception {
        var holder = newKey();
        try (SignetClient minter = SignetClient.builder(base).credential(MINTER).build();
             SignetClient agent = SignetClient.builder(base).issuer("https://signet.test").build()) {
            Token parent = boundParent(minter, holder);
            OAuthErrorException wider = assertThrows(OAuthErrorException.class, () -> agent.exchange(
                    ExchangeRequest.builder(parent.token()).proofKey(holder).actor("s").allow("repo:acme/other", "read")
                            .build()));
            assertEquals("invalid_target", wider.error());
            assertEquals(400, wider.status());
            OAuthErrorException unproven = assertThrows(OAuthErrorException.class, () -> agent.exchange(
                    ExchangeRequest.builder(parent.token()).actor("s").build()));
            assertEquals("invalid_grant", unproven.error());
            OAuthErrorException otherKey = assertThrows(OAuthErrorException.class, () -> agent.exchange(
                    ExchangeRequest.builder(parent.token()).proofKey(newKey()).actor("s").build()));
            assertEquals("invalid_grant", otherKey.error());
            assertFalse(otherKey.getMessage().contains(parent.token()), "no token in the error");
        }
    }

    /** 503 temporarily_unavailable twice, then the daemon: every attempt carries a fresh DPoP proof. */
    @Test
    void exchangeRetriesTemporarilyUnavailableWithAFreshProofEachTime() throws Exception {
        var holder = newKey();
        AtomicInteger calls = new AtomicInteger();
        List<String> proofs = java.util.Collections.synchronizedList(new ArrayList<>());
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            proofs.add(ex.getRequestHeaders().getFirst("DPoP"));
            java.net.http.HttpResponse<byte[]> real;
            if (calls.incrementAndGet() <= 2) {
                byte[] error = "{\"error\":\"temporarily_unavailable\",\"error_description\":\"later\"}"
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Retry-After", "1");
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(503, error.length);
                ex.getResponseBody().write(error);
            } else {
                try {
                    real = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                    base.resolve(ex.getRequestURI().getPath()))
                            .header("DPoP", ex.getRequestHeaders().getFirst("DPoP"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
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
        MutableClock clock = new MutableClock(Instant.now());
        List<Duration> slept = new ArrayList<>();
        try (SignetClient minter = SignetClient.builder(base).credential(MINTER).build();
             SignetClient agent = SignetClient.builder(URI.create("http://127.0.0.1:" + s.getAddress().getPort()))
                     .issuer("https://signet.test").clock(clock, d -> { slept.add(d); clock.advance(d); }).build()) {
            Token parent = boundParent(minter, holder);
            ExchangedToken child = agent.exchange(ExchangeRequest.builder(parent.token()).proofKey(holder)
                    .actor("sub-agent-3").build());
            assertEquals("Bearer", child.tokenType());
            assertEquals(3, calls.get());
            assertEquals(3, new java.util.HashSet<>(proofs).size(), "a fresh proof per attempt: " + proofs);
            assertEquals(2, slept.size());
            assertTrue(slept.stream().allMatch(d -> d.compareTo(Duration.ofSeconds(1)) >= 0), slept.toString());

            calls.set(0);
            String once = Proofs.dpop(holder, "https://signet.test/v1/token-exchange", parent.token(), clock.instant());
            OAuthErrorException e = assertThrows(OAuthErrorException.class, () -> agent.exchange(
                    ExchangeRequest.builder(parent.token()).dpop(once).actor("sub-agent-4").build()));
            assertEquals("temporarily_unavailable", e.error());
            assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow());
            assertEquals(1, calls.get(), "a caller-built proof is never replayed");
        } finally {
            s.stop(0);
        }
    }

    @Test
    void withoutACredentialAMintReliesOnTheClientCertificateAndIsRefusedWithoutOne() {
        try (SignetClient anonymous = SignetClient.builder(base).build()) {
            SignetProblemException e = assertThrows(SignetProblemException.class, () -> anonymous.mint(
                    TokenRequest.builder("a", "https://api.example.com").allow("repo:acme/x", "read").build()));
            assertEquals(401, e.problem().status());
        }
    }
}
