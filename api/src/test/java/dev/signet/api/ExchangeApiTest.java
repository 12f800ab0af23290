package dev.signet.api;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.audit.AuditSearch;
import dev.signet.issuance.CredentialHash;
import dev.signet.spi.testing.MutableClock;
import dev.signet.verifier.Decision;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.JwksCache;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.StatusListCache;
import dev.signet.verifier.TokenVerifier;
import dev.signet.verifier.VerifiedToken;
import dev.signet.verifier.VerifierVectorsTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.signet.api.Delegates.ENDPOINT;
import static dev.signet.api.Delegates.form;
import static dev.signet.api.Delegates.jkt;
import static dev.signet.api.Delegates.newKey;
import static dev.signet.api.Delegates.post;
import static dev.signet.api.Delegates.proof;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 8693 token exchange through the real HTTP API: chains, attenuation, proof of possession, policy. */
class ExchangeApiTest {

    static final String GAMMA = "gamma-credential-0123456789abcdef";

    @TempDir
    Path dir;
    MutableClock clock;
    TestDaemon signet;
    TokenVerifier alphaService;

    @BeforeEach
    void start() {
        clock = new MutableClock(Instant.now());
        Map<String, String> c = new HashMap<>();
        c.put("signet.max-body-bytes", "16384");
        c.put("signet.minters.0.resources.1", "repo:alpha/**");
        c.put("signet.minters.0.delegation.max-depth", "5");
        c.put("signet.minters.1.delegation.allow-unbound", "true");
        c.put("signet.minters.2.name", "gamma");
        c.put("signet.minters.2.credential-hash", CredentialHash.of(GAMMA).text());
        c.put("signet.minters.2.audiences.0", "https://gamma.example");
        c.put("signet.minters.2.resources.0", "repo:gamma/*");
        c.put("signet.minters.2.actions.0", "read");
        c.put("signet.minters.2.delegation.enabled", "false");
        signet = new TestDaemon(dir, c, clock);
        alphaService = new TokenVerifier("https://signet.test", "https://alpha.example",
                new JwksCache(URI.create(signet.jwksUrl()), HttpClient.newHttpClient(), clock, Duration.ofMinutes(1), Duration.ofSeconds(10)),
                clock, Duration.ZERO, new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 1000)));
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    String mint(String credential, String aud, String resource, String actions, long ttl, ECKey holder) {
        String body = "{\"sub\":\"principal-1\",\"aud\":\"" + aud + "\",\"ttl\":" + ttl + ",\"task\":\"task-9\""
                + ",\"scope\":[{\"resource\":\"" + resource + "\",\"actions\":[" + actions + "]}]"
                + (holder == null ? "" : ",\"cnf\":{\"jkt\":\"" + jkt(holder) + "\"}") + "}";
        HttpResponse<String> r = signet.mint(credential, body);
        assertEquals(201, r.statusCode(), r.body());
        return (String) json(r).get("token");
    }

    static String details(String resource, String... actions) {
        return "[{\"type\":\"signet_resource\",\"identifier\":\"" + resource + "\",\"actions\":[\""
                + String.join("\",\"", actions) + "\"]}]";
    }

    static String jti(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
    }

    void assertRefused(HttpResponse<String> r, String error, String why) {
        assertEquals(400, r.statusCode(), why + ": " + r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), why);
        Map<String, Object> body = json(r);
        assertEquals(error, body.get("error"), why + ": " + r.body());
        assertTrue(body.get("error_description") instanceof String s && !s.isBlank(), why);
        assertFalse(r.body().contains("eyJ"), why + ": no token in the error");
    }

    /** The audit lines with {@code field = value}, polled until {@code atLeast} of them pass {@code counted} (10 s deadline). */
    List<String> auditLines(String field, String value, java.util.function.Predicate<String> counted, int atLeast) throws Exception {
        Path log = AuditTrailApiTest.replicaLog(dir.resolve("audit"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = new ArrayList<>();
            AuditSearch.find(log, Map.of(field, value), lines::add);
            if (lines.stream().filter(counted).count() >= atLeast || System.nanoTime() > deadline) {
                return lines;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void chainsOfDepthOneToFiveEachNarrowerAndVerifiableOffline() throws Exception {
        ECKey holder = newKey();
        String token = mint(ALPHA, "https://alpha.example", "repo:alpha/**", "\"read\",\"write\"", 3600, holder);
        String parentJti = jti(token);
        List<String> actors = new ArrayList<>();
        for (int depth = 1; depth <= 5; depth++) {
            ECKey child = newKey();
            Map<String, String> f = form(token, child, clock, "agent-" + depth);
            f.put("requested_ttl", Long.toString(3600 - 100L * depth));
            if (depth == 2) {
                f.put("authorization_details", details("repo:alpha/*", "read", "write"));
            } else if (depth == 3) {
                f.put("authorization_details", details("repo:alpha/widgets", "read"));
            }
            HttpResponse<String> r = post(signet, f, proof(holder, clock, "POST", ENDPOINT, token));
            assertEquals(200, r.statusCode(), "depth " + depth + ": " + r.body());
            Map<String, Object> body = json(r);
            assertEquals("DPoP", body.get("token_type"));
            assertEquals("urn:ietf:params:oauth:token-type:access_token", body.get("issued_token_type"));
            assertEquals(3600 - 100L * depth, ((Number) body.get("expires_in")).longValue());
            token = (String) body.get("access_token");
            actors.addFirst("agent-" + depth);

            VerifiedToken t = alphaService.verify(token);
            assertEquals(depth, t.depth());
            assertEquals(actors, t.actors());
            assertEquals(parentJti, t.parentJti().orElseThrow());
            assertEquals("principal-1", t.subject());
            assertEquals("alpha", t.clientId());
            assertEquals("task-9", t.task().orElseThrow());
            assertEquals(jkt(child), t.boundJkt().orElseThrow());
            String uri = "https://alpha.example/widgets";
            Decision read = alphaService.authorize(token, new TokenVerifier.Request("GET", uri,
                    proof(child, clock, "GET", uri, token)), "repo:alpha/widgets", "read");
            assertTrue(read.allowed(), "depth " + depth + ": " + read);
            Decision write = alphaService.authorize(token, new TokenVerifier.Request("GET", uri,
                    proof(child, clock, "GET", uri, token)), "repo:alpha/widgets", "write");
            assertEquals(depth < 3, write.allowed(), "depth " + depth + ": " + write);
            assertEquals(depth < 2, alphaService.authorize(token, new TokenVerifier.Request("GET", uri,
                    proof(child, clock, "GET", uri, token)), "repo:alpha/widgets/issues", "read").allowed(), "depth " + depth);
            assertEquals("dpop_required", alphaService.authorize(token, "repo:alpha/widgets", "read").reason());
            parentJti = t.jti();
            holder = child;
        }
        HttpResponse<String> sixth = post(signet, form(token, newKey(), clock, "agent-6"), proof(holder, clock, "POST", ENDPOINT, token));
        assertRefused(sixth, "invalid_target", "depth 6 is past the hard cap");
        // Exchanges are durable before the answer; a refusal's record is appended without waiting, so poll for it.
        List<String> lines = auditLines("client_id", "alpha", l -> l.contains("\"type\":\"exchange_refusal\""), 1);
        assertEquals(5, lines.stream().filter(l -> l.contains("\"type\":\"exchange\"")).count(), lines.toString());
        assertEquals(1, lines.stream().filter(l -> l.contains("\"type\":\"exchange_refusal\"") && l.contains("invalid_target")).count());
    }

    @Test
    void everyWideningAndEveryUnprovenParentIsRefusedAndAudited() throws Exception {
        ECKey holder = newKey();
        String parent = mint(ALPHA, "https://alpha.example", "repo:alpha/x", "\"read\"", 300, holder);
        Map<String, String> widen = new java.util.LinkedHashMap<>();
        widen.put("resource pattern wider than the parent's resource", "authorization_details=" + details("repo:alpha/*", "read"));
        widen.put("another resource", "authorization_details=" + details("repo:alpha/y", "read"));
        widen.put("an action the parent lacks", "authorization_details=" + details("repo:alpha/x", "read", "write"));
        widen.put("another audience", "audience=https://beta.example");
        widen.put("a longer life", "requested_ttl=301");
        for (var w : widen.entrySet()) {
            Map<String, String> f = form(parent, newKey(), clock, "sub-agent");
            String[] kv = w.getValue().split("=", 2);
            f.put(kv[0], kv[1]);
            assertRefused(post(signet, f, proof(holder, clock, "POST", ENDPOINT, parent)), "invalid_target", w.getKey());
        }

        assertRefused(post(signet, form(parent, newKey(), clock, "a"), null), "invalid_grant", "bound parent without a proof");
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), proof(newKey(), clock, "POST", ENDPOINT, parent)),
                "invalid_grant", "proof by another key (a stolen parent)");
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, "other")),
                "invalid_grant", "wrong ath");
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), proof(holder, clock, "POST",
                "https://evil.example/v1/token-exchange", parent)), "invalid_grant", "wrong htu");
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), proof(holder, clock, "GET", ENDPOINT, parent)),
                "invalid_grant", "wrong htm");
        String once = proof(holder, clock, "POST", ENDPOINT, parent);
        assertEquals(200, post(signet, form(parent, newKey(), clock, "a"), once).statusCode());
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), once), "invalid_grant", "replayed proof");

        String[] p = parent.split("\\.");
        JWTClaimsSet claims = SignedJWT.parse(parent).getJWTClaimsSet();
        String widened = com.nimbusds.jose.util.Base64URL.encode(new JWTClaimsSet.Builder(claims)
                .claim("authorization_details", List.of(Map.of("type", "signet_resource", "identifier", "**", "actions", List.of("read"))))
                .build().toString()).toString();
        String tampered = p[0] + "." + widened + "." + p[2];
        assertRefused(post(signet, form(tampered, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, tampered)),
                "invalid_grant", "tampered parent");
        ECKey foreign = new ECKey.Builder(newKey()).keyID(SignedJWT.parse(parent).getHeader().getKeyID()).build();
        String forged = Delegates.sign(foreign, "at+jwt", false, claims);
        assertRefused(post(signet, form(forged, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, forged)),
                "invalid_grant", "parent signed by a key not published under its kid");
        ECKey unpublished = new ECKey.Builder(newKey()).keyID("unpublished-kid").build();
        String unknown = Delegates.sign(unpublished, "at+jwt", false, claims);
        assertRefused(post(signet, form(unknown, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, unknown)),
                "invalid_grant", "parent signed by an unpublished key");
        String otherIssuer = Delegates.sign(foreign, "at+jwt", false, new JWTClaimsSet.Builder(claims).issuer("https://other.example").build());
        assertRefused(post(signet, form(otherIssuer, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, otherIssuer)),
                "invalid_grant", "parent from another issuer");

        Map<String, String> bad = form(parent, newKey(), clock, "a");
        bad.put("authorization_details", "{not json");
        assertRefused(post(signet, bad, proof(holder, clock, "POST", ENDPOINT, parent)), "invalid_request", "malformed details");
        bad = form(parent, newKey(), clock, "a");
        bad.put("authorization_details", details("repo:alpha/../x", "read"));
        assertRefused(post(signet, bad, proof(holder, clock, "POST", ENDPOINT, parent)), "invalid_request", "resource outside the grammar");
        bad = form(parent, newKey(), clock, "a");
        bad.put("actor", "also-named");
        assertRefused(post(signet, bad, proof(holder, clock, "POST", ENDPOINT, parent)), "invalid_request", "actor and actor_token");
        bad = form(parent, newKey(), clock, "a");
        bad.remove("subject_token_type");
        assertRefused(post(signet, bad, proof(holder, clock, "POST", ENDPOINT, parent)), "invalid_request", "no subject_token_type");
        bad = form(parent, newKey(), clock, "a");
        bad.put("grant_type", "client_credentials");
        assertRefused(post(signet, bad, proof(holder, clock, "POST", ENDPOINT, parent)), "unsupported_grant_type", "grant type");
        assertRefused(signet.post("/v1/token-exchange", null, "application/json", "{}"), "invalid_request", "JSON body");

        clock.advance(Duration.ofSeconds(301));
        assertRefused(post(signet, form(parent, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, parent)),
                "invalid_grant", "expired parent");

        List<String> refusals = auditLines("parent_jti", jti(parent), l -> l.contains("\"type\":\"exchange_refusal\""), 14)
                .stream().filter(l -> l.contains("\"type\":\"exchange_refusal\"")).toList();
        // 5 widenings, 6 unproven possessions, 3 malformed requests of a verified parent; the others name no parent
        assertEquals(5 + 6 + 3, refusals.size(), "refusals after the parent verified are audited with its jti");
    }

    @Test
    void theMintersCurrentPolicyDecidesUnboundExchangeDepthAndWhetherAtAll() throws Exception {
        String unbound = mint(ALPHA, "https://alpha.example", "repo:alpha/x", "\"read\"", 300, null);
        Map<String, String> named = form(unbound, newKey(), clock, "x");
        named.remove("actor_token");
        named.remove("actor_token_type");
        named.put("actor", "helper");
        assertRefused(post(signet, named, null), "invalid_grant", "alpha exchanges bound tokens only");

        String token = mint(BETA, "https://beta.example", "repo:beta/x", "\"read\"", 300, null);
        for (int depth = 1; depth <= 4; depth++) {
            Map<String, String> f = form(token, newKey(), clock, "x");
            f.remove("actor_token");
            f.remove("actor_token_type");
            f.put("actor", "helper-" + depth);
            HttpResponse<String> r = post(signet, f, null);
            if (depth == 4) {
                assertRefused(r, "invalid_target", "beta's default cap is 3");
                break;
            }
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("Bearer", json(r).get("token_type"), "a child named by actor, not bound to a key");
            token = (String) json(r).get("access_token");
            assertEquals("helper-" + depth, ((Map<?, ?>) SignedJWT.parse(token).getJWTClaimsSet().getClaim("act")).get("sub"));
        }

        ECKey holder = newKey();
        String gamma = mint(GAMMA, "https://gamma.example", "repo:gamma/x", "\"read\"", 300, holder);
        assertRefused(post(signet, form(gamma, newKey(), clock, "a"), proof(holder, clock, "POST", ENDPOINT, gamma)),
                "invalid_grant", "gamma's policy forbids delegation");
    }

    @Test
    void theDaemonRunsTheVerifierConformanceVectors() throws Exception {
        assertTrue(VerifierVectorsTest.run(Path.of("..", "verifier", "vectors", "verifier-vectors.json")) >= 20);
        assertTrue(VerifierVectorsTest.run(Path.of("..", "verifier", "vectors", "status-vectors.json")) >= 12);
    }

    @Test
    void aRevokedParentOrTaskHasNoChildrenAndAServiceSeesTheChildRevoked() throws Exception {
        ECKey holder = newKey();
        String parent = mint(ALPHA, "https://alpha.example", "repo:alpha/**", "\"read\"", 3600, holder);
        String sibling = mint(ALPHA, "https://alpha.example", "repo:alpha/**", "\"read\"", 3600, holder);
        HttpResponse<String> r = post(signet, form(parent, newKey(), clock, "agent-1"),
                proof(holder, clock, "POST", ENDPOINT, parent));
        assertEquals(200, r.statusCode(), r.body());
        String child = (String) json(r).get("access_token");
        HttpClient http = HttpClient.newHttpClient();
        StatusListCache status = new StatusListCache("https://signet.test", new JwksCache(URI.create(signet.jwksUrl()), http,
                clock, Duration.ofMinutes(1), Duration.ofSeconds(10)),
                uri -> StatusListCache.http(http).fetch(URI.create(signet.base() + uri.getRawPath())), clock,
                Duration.ofSeconds(60), Duration.ZERO);
        TokenVerifier service = alphaService.withStatus(status);
        assertTrue(service.authorize(child, new TokenVerifier.Request("GET", "https://alpha.example/x",
                null), "repo:alpha/x", "read").reason().startsWith("dpop"), "not revoked: only the proof is missing");

        HttpResponse<String> revoked = RevocationApiTest.admin(signet, "POST", "/v1/revocations",
                "{\"jti\":\"" + jti(parent) + "\"}");
        assertEquals(201, revoked.statusCode(), revoked.body());
        assertEquals(2, ((Number) json(revoked).get("covered")).intValue(), "the parent and its child: " + revoked.body());
        assertRefused(post(signet, form(parent, newKey(), clock, "agent-2"), proof(holder, clock, "POST", ENDPOINT, parent)),
                "invalid_grant", "revoked parent");
        clock.advance(Duration.ofSeconds(61)); // the service's cached list is older than its ttl
        Decision d = service.authorize(child, new TokenVerifier.Request("GET", "https://alpha.example/x", null),
                "repo:alpha/x", "read");
        assertEquals("revoked", d.reason(), "the child of a revoked parent is revoked: " + d);

        assertEquals(201, RevocationApiTest.admin(signet, "POST", "/v1/revocations", "{\"task\":\"task-9\"}")
                .statusCode());
        assertRefused(post(signet, form(sibling, newKey(), clock, "agent-3"), proof(holder, clock, "POST", ENDPOINT,
                sibling)), "invalid_grant", "parent of a revoked task");
    }
}
