package dev.signet.api;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.signet.spi.SignetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signing API over real HTTP, verified with Nimbus against the JWKS the daemon serves. */
class SigningApiTest {

    @TempDir
    Path dataDir;
    TestDaemon signet;

    @BeforeEach
    void start() {
        signet = new TestDaemon(dataDir);
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    JWTClaimsSet verify(String token, String audience) throws Exception {
        JWKSet jwks = JWKSet.parse(signet.get(signet.jwksUrl()).body());
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(jwks)));
        p.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer("https://signet.test").build(),
                Set.of("sub", "iat", "nbf", "exp", "jti", "client_id", "authorization_details")));
        return p.process(token, null);
    }

    @Test
    void mintedTokenVerifiesAgainstTheServedJwks() throws Exception {
        HttpResponse<String> res = signet.mint(ALPHA, "{\"sub\":\"agent-7\",\"aud\":\"https://alpha.example\",\"ttl\":600,"
                + "\"scope\":[{\"resource\":\"repo:alpha/widgets\",\"actions\":[\"read\",\"write\"]}],\"task\":\"task-42\"}");
        assertEquals(201, res.statusCode(), res.body());
        assertEquals("no-store", res.headers().firstValue("Cache-Control").orElse(""));
        Map<String, Object> body = json(res);
        String token = (String) body.get("token");
        JWTClaimsSet claims = verify(token, "https://alpha.example");

        assertEquals("agent-7", claims.getSubject());
        assertEquals("alpha", claims.getStringClaim("client_id"));
        assertEquals("task-42", claims.getStringClaim("task"));
        long lifetime = claims.getExpirationTime().getTime() - claims.getIssueTime().getTime();
        assertEquals(600_000, lifetime);
        assertEquals(Instant.ofEpochMilli(claims.getExpirationTime().getTime()).toString(), body.get("expires_at"));
        assertTrue(claims.getJWTID().length() >= 22, "jti carries at least 128 bits");
        List<Object> details = claims.getListClaim("authorization_details");
        assertEquals(Map.of("type", "signet_resource", "identifier", "repo:alpha/widgets",
                "actions", List.of("read", "write")), details.getFirst());
        SignedJWT jwt = SignedJWT.parse(token);
        assertEquals(body.get("kid"), jwt.getHeader().getKeyID());
        assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
    }

    @Test
    void everyTokenHasItsOwnJti() throws Exception {
        Set<String> jtis = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String token = (String) json(signet.mint(ALPHA,
                    request("a", "https://alpha.example", 60, "repo:alpha/x", "read"))).get("token");
            jtis.add(verify(token, "https://alpha.example").getJWTID());
        }
        assertEquals(20, jtis.size());
    }

    @Test
    void aTokenForAnotherAudienceIsRejectedByTheVerifier() throws Exception {
        String token = (String) json(signet.mint(ALPHA,
                request("a", "https://alpha.example", 60, "repo:alpha/x", "read"))).get("token");
        assertThrows(Exception.class, () -> verify(token, "https://beta.example"));
    }

    @Test
    void minterCannotMintOutsideItsPolicy() {
        assertProblem(signet.mint(ALPHA, request("a", "https://beta.example", 60, "repo:alpha/x", "read")), 403, "audience");
        assertProblem(signet.mint(ALPHA, request("a", "https://alpha.example", 60, "repo:beta/x", "read")), 403, "resource");
        assertProblem(signet.mint(BETA, request("a", "https://beta.example", 60, "repo:beta/x", "write")), 403, "action");
        assertProblem(signet.mint(BETA, request("a", "https://alpha.example", 60, "repo:alpha/x", "read")), 403, "audience");
        assertEquals(201, signet.mint(BETA, request("a", "https://beta.example", 60, "repo:beta/x", "read")).statusCode());
    }

    @Test
    void credentialsAreChecked() {
        HttpResponse<String> none = signet.mint(null, request("a", "https://alpha.example", 60, "repo:alpha/x", "read"));
        assertProblem(none, 401, "credential");
        assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertProblem(signet.mint(ALPHA + "x", request("a", "https://alpha.example", 60, "repo:alpha/x", "read")), 401, "credential");
        assertProblem(signet.mint(TestDaemon.ADMIN, request("a", "https://alpha.example", 60, "repo:alpha/x", "read")), 401, "credential");
    }

    @Test
    void malformedJsonIs400() {
        assertProblem(signet.mint(ALPHA, "{\"sub\":"), 400, "JSON");
        assertProblem(signet.mint(ALPHA, "[1,2]"), 400, "JSON");
        assertProblem(signet.mint(ALPHA, "{sub:'a'}"), 400, "JSON");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\"} {}"), 400, "JSON");
    }

    @Test
    void aBodyThatIsNotAnObjectIs400OnEveryEndpoint() {
        for (String path : List.of("/v1/tokens", "/v1/tokens/batch")) {
            for (String body : List.of("null", "[]", "\"x\"", "7", "true")) {
                assertProblem(signet.post(path, ALPHA, "application/json", body), 400, "the body must be a JSON object");
            }
        }
    }

    @Test
    void duplicateMemberNamesAreRefusedAtEveryDepth() {
        String item = "{\"resource\":\"repo:alpha/x\",\"actions\":[\"read\"]";
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"sub\":\"b\",\"aud\":\"https://alpha.example\",\"ttl\":60,"
                + "\"scope\":[" + item + "}]}"), 400, "'sub' appears twice");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60,"
                + "\"scope\":[" + item + ",\"resource\":\"repo:beta/y\"}]}"), 400, "'resource' appears twice");
        assertProblem(signet.post("/v1/tokens/batch", ALPHA, "application/json", "{\"requests\":[{\"sub\":\"a\","
                + "\"aud\":\"https://alpha.example\",\"ttl\":60,\"ttl\":3600,\"scope\":[" + item + "}]}]}"), 400, "'ttl' appears twice");
    }

    @Test
    void bodiesThatAreNotUtf8Are400() {
        byte[] valid = request("agent-\u00e9", "https://alpha.example", 60, "repo:alpha/x", "read")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(201, signet.send(bytes(valid)).statusCode(), "UTF-8 is accepted");
        byte[] latin1 = request("agent-\u00e9", "https://alpha.example", 60, "repo:alpha/x", "read")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertProblem(signet.send(bytes(latin1)), 400, "UTF-8");
    }

    java.net.http.HttpRequest bytes(byte[] body) {
        return java.net.http.HttpRequest.newBuilder(java.net.URI.create(signet.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + ALPHA).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    @Test
    void twoAuthorizationHeadersAre400AndNeitherIsUsed() {
        java.net.http.HttpRequest twice = java.net.http.HttpRequest.newBuilder(java.net.URI.create(signet.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + ALPHA).header("Authorization", "Bearer " + ALPHA)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(request("a", "https://alpha.example", 60, "repo:alpha/x", "read")))
                .build();
        assertProblem(signet.send(twice), 400, "one Authorization header");
        // folded into one header line (a comma-separated list): still two credentials
        java.net.http.HttpRequest folded = java.net.http.HttpRequest.newBuilder(java.net.URI.create(signet.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + ALPHA + ", Bearer " + ALPHA)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(request("a", "https://alpha.example", 60, "repo:alpha/x", "read")))
                .build();
        assertProblem(signet.send(folded), 400, "one Authorization header");
        HttpResponse<String> admin = signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN,
                "Authorization", "Bearer " + TestDaemon.ADMIN);
        assertProblem(admin, 400, "one Authorization header");
    }

    @Test
    void requestIdsAreTakenWhenSafeReplacedOtherwiseAndEchoed() {
        HttpResponse<String> kept = signet.get(signet.base() + "/nowhere", "X-Request-Id", "minter-42:abc_DEF.9");
        assertEquals("minter-42:abc_DEF.9", json(kept).get("request_id"));
        assertEquals("minter-42:abc_DEF.9", kept.headers().firstValue("X-Request-Id").orElse(""));
        for (String bad : List.of("x".repeat(65), "a b", "<script>", "a/b")) {
            HttpResponse<String> replaced = signet.get(signet.base() + "/nowhere", "X-Request-Id", bad);
            String id = (String) json(replaced).get("request_id");
            assertNotEquals(bad, id);
            assertTrue(id.matches("[A-Za-z0-9_-]{16}"), id);
        }
        HttpResponse<String> minted = signet.mint(ALPHA, request("a", "https://alpha.example", 60, "repo:alpha/x", "read"));
        assertTrue(minted.headers().firstValue("X-Request-Id").orElse("").matches("[A-Za-z0-9_-]{16}"),
                "generated when absent, on successes too");
    }

    @Test
    void wrongMediaTypeIs415() {
        assertProblem(signet.post("/v1/tokens", ALPHA, "text/plain", request("a", "https://alpha.example", 60, "repo:alpha/x", "read")), 415, "application/json");
        assertProblem(signet.post("/v1/tokens", ALPHA, null, "{}"), 415, "application/json");
    }

    @Test
    void oversizedBodyIs413() {
        String big = "{\"sub\":\"" + "x".repeat(5000) + "\"}";
        assertProblem(signet.mint(ALPHA, big), 413, "4096");
        // Without Content-Length (chunked), the limit holds while reading.
        byte[] bytes = big.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertProblem(signet.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(signet.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + ALPHA).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)))
                .build()), 413, "4096");
    }

    @Test
    void semanticallyInvalidRequestsAre422() {
        String scope = ",\"scope\":[{\"resource\":\"repo:alpha/x\",\"actions\":[\"read\"]}]";
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":0" + scope + "}"), 422, "ttl");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":-5" + scope + "}"), 422, "ttl");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":1.5" + scope + "}"), 422, "ttl");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":3601" + scope + "}"), 422, "maximum");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60,\"scope\":[]}"), 422, "scope");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60" + scope + ",\"color\":\"red\"}"), 422, "unknown field");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60" + scope + ",\"exp\":9999999999}"), 422, "reserved");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60" + scope + ",\"iss\":\"evil\"}"), 422, "reserved");
        assertProblem(signet.mint(ALPHA, "{\"aud\":\"https://alpha.example\",\"ttl\":60" + scope + "}"), 422, "sub");
        assertProblem(signet.mint(ALPHA, "{\"sub\":\"a\",\"aud\":\"https://alpha.example\",\"ttl\":60,\"scope\":[{\"resource\":\"repo:alpha/x\",\"actions\":[]}]}"), 422, "actions");
    }

    @Test
    void requestsThatAreNotValidHttpGetProblemsToo() throws Exception {
        for (String raw : new String[]{
                "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
                "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"}) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", signet.daemon.server().port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(raw.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(response.startsWith("HTTP/1.1 400"), response);
                assertTrue(response.contains("application/problem+json") && response.contains("\"status\":400"), response);
            }
        }
    }

    @Test
    void unknownPathsAndMethodsGetProblems() {
        HttpResponse<String> missing = signet.get(signet.base() + "/nowhere-%3Cscript%3E");
        assertProblem(missing, 404, "no such resource");
        assertFalse(missing.body().contains("nowhere") || missing.body().contains("script"), "the path is not echoed");
        HttpResponse<String> res = signet.get(signet.base() + "/v1/tokens");
        assertProblem(res, 405, "GET is not allowed");
        assertEquals("POST", res.headers().firstValue("Allow").orElse(""));
        assertEquals("urn:signet:problem:method-not-allowed", json(res).get("type"), "not about:blank");
        HttpResponse<String> keys = signet.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(signet.adminBase() + "/v1/keys"))
                .DELETE().build());
        assertProblem(keys, 405, "DELETE is not allowed");
        assertEquals("GET", keys.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void batchReturnsResultsInOrderAndOneBadItemFailsAlone() throws Exception {
        String body = "{\"requests\":[" + request("one", "https://alpha.example", 60, "repo:alpha/1", "read") + ","
                + request("two", "https://beta.example", 60, "repo:alpha/2", "read") + ","
                + "{\"sub\":\"three\",\"aud\":\"https://alpha.example\",\"ttl\":0,\"scope\":[{\"resource\":\"repo:alpha/3\",\"actions\":[\"read\"]}]},"
                + request("four", "https://alpha.example", 60, "repo:alpha/4", "write") + "]}";
        HttpResponse<String> res = signet.post("/v1/tokens/batch", ALPHA, "application/json", body);
        assertEquals(200, res.statusCode(), res.body());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) json(res).get("results");
        assertEquals(4, results.size());
        assertEquals("one", verify((String) results.get(0).get("token"), "https://alpha.example").getSubject());
        assertEquals(403L, ((Map<?, ?>) results.get(1).get("problem")).get("status"));
        assertEquals(422L, ((Map<?, ?>) results.get(2).get("problem")).get("status"));
        assertEquals("four", verify((String) results.get(3).get("token"), "https://alpha.example").getSubject());
    }

    @Test
    void batchLimitsAreEnforced() {
        StringBuilder many = new StringBuilder("{\"requests\":[");
        for (int i = 0; i < 11; i++) {
            many.append(i == 0 ? "" : ",").append(request("s" + i, "https://alpha.example", 60, "repo:alpha/x", "read"));
        }
        assertProblem(signet.post("/v1/tokens/batch", ALPHA, "application/json", many + "]}"), 422, "between 1 and 10");
        assertProblem(signet.post("/v1/tokens/batch", ALPHA, "application/json", "{\"requests\":[]}"), 422, "between 1 and 10");
        assertProblem(signet.post("/v1/tokens/batch", null, "application/json", "{\"requests\":[]}"), 401, "credential");
    }

    @Test
    void jwksIsCacheableWithEtagAndMaxAge() throws Exception {
        HttpResponse<String> first = signet.get(signet.jwksUrl());
        assertEquals(200, first.statusCode());
        assertEquals("public, max-age=120", first.headers().firstValue("Cache-Control").orElse(""));
        assertEquals("application/jwk-set+json", first.headers().firstValue("Content-Type").orElse(""));
        String etag = first.headers().firstValue("ETag").orElseThrow();
        JWKSet set = JWKSet.parse(first.body());
        assertEquals(1, set.getKeys().size());
        assertFalse(set.getKeys().getFirst().isPrivate(), "the JWKS holds public keys only");
        assertFalse(first.body().contains("\"d\""), "no private key parameter");

        HttpResponse<String> again = signet.get(signet.jwksUrl(), "If-None-Match", etag);
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        assertEquals(200, signet.get(signet.jwksUrl(), "If-None-Match", "\"other\"").statusCode());
    }

    @Test
    void authorizationServerMetadataIsHonestAndOpenIdDiscoveryIsGone() {
        HttpResponse<String> res = signet.get(signet.base() + "/.well-known/oauth-authorization-server");
        assertEquals(200, res.statusCode(), res.body());
        Map<String, Object> doc = json(res);
        assertEquals("https://signet.test", doc.get("issuer"));
        assertEquals("https://signet.test/.well-known/jwks.json", doc.get("jwks_uri"));
        assertEquals(List.of(), doc.get("response_types_supported"), "no authorization endpoint, so no response type");
        assertEquals(List.of("urn:ietf:params:oauth:grant-type:token-exchange"), doc.get("grant_types_supported"),
                "the one OAuth grant; the RFC's default would claim code and implicit");
        assertEquals("https://signet.test/v1/token-exchange", doc.get("token_endpoint"));
        assertEquals(List.of("none"), doc.get("token_endpoint_auth_methods_supported"));
        assertTrue(((List<?>) doc.get("dpop_signing_alg_values_supported")).contains("ES256"));
        assertEquals(List.of("ES256"), doc.get("signet_token_signing_alg_values_supported"), "the published key's alg");
        assertFalse(doc.containsKey("id_token_signing_alg_values_supported"), "Signet issues no ID tokens");
        assertFalse(doc.containsKey("token_signing_alg_values_supported"), "not a registered name");
        assertProblem(signet.get(signet.base() + "/.well-known/openid-configuration"), 404, "no such resource");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String sized = request("one", "https://alpha.example", 60, "repo:alpha/1", "read");
        String chunkedBody = request("two", "https://alpha.example", 60, "repo:alpha/2", "read");
        String chunked = Integer.toHexString(10) + "\r\n" + chunkedBody.substring(0, 10) + "\r\n"
                + Integer.toHexString(chunkedBody.length() - 10) + "\r\n" + chunkedBody.substring(10) + "\r\n0\r\n\r\n";
        String head = "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALPHA
                + "\r\nContent-Type: application/json\r\n";
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", signet.daemon.server().port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write((head + "X-Request-Id: r1\r\nContent-Length: " + sized.length() + "\r\n\r\n" + sized
                    + head + "X-Request-Id: r2\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
                    + "GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Request-Id: r3\r\n\r\n"
                    + "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nX-Request-Id: r4\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            while (got.indexOf("X-Request-Id: r4") < 0 || got.indexOf("\"keys\"", got.indexOf("X-Request-Id: r4")) < 0) {
                int n = s.getInputStream().read(buf);
                assertTrue(n > 0, "all four are answered: " + got);
                got.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
            String all = got.toString();
            int[] at = new int[4];
            for (int i = 0; i < 4; i++) {
                at[i] = all.indexOf("X-Request-Id: r" + (i + 1));
                assertTrue(at[i] >= 0 && (i == 0 || at[i] > at[i - 1]), "answer " + (i + 1) + " in order: " + all);
            }
            assertTrue(all.startsWith("HTTP/1.1 201"), all);
            assertTrue(all.substring(at[0], at[1]).contains("HTTP/1.1 201"), "the chunked mint succeeded: " + all);
            assertTrue(all.substring(at[1], at[2]).contains("HTTP/1.1 404"), all);
            assertTrue(all.substring(at[2], at[3]).contains("HTTP/1.1 200"), all);
        }
    }

    @Test
    void anIssuerWithAPathHasItsMetadataWhereRfc8414PutsIt(@TempDir Path other) {
        try (TestDaemon tenant = new TestDaemon(other, Map.of("signet.issuer", "https://signet.test/tenant-a/"))) {
            Map<String, Object> doc = json(tenant.get(tenant.base() + "/.well-known/oauth-authorization-server/tenant-a"));
            assertEquals("https://signet.test/tenant-a", doc.get("issuer"));
            assertEquals("https://signet.test/tenant-a/.well-known/jwks.json", doc.get("jwks_uri"));
            assertEquals(200, tenant.get(tenant.base() + "/tenant-a/.well-known/jwks.json").statusCode(), "jwks_uri is served");
            assertEquals(404, tenant.get(tenant.base() + "/.well-known/oauth-authorization-server").statusCode(),
                    "the host's root is not this issuer");
        }
        for (String bad : List.of("https://signet.test/a?x=1", "https://signet.test/#f", "https://u@signet.test",
                "https://signet.test/{x}", "https://signet.test/a/../b", "ftp://signet.test")) {
            SignetException e = assertThrows(SignetException.class, () -> new TestDaemon(other, Map.of("signet.issuer", bad)));
            assertTrue(e.getMessage().contains("signet.issuer"), e.getMessage());
        }
    }

    @Test
    void headAnswersLikeGetWithoutABodyAndOtherMethodsGet405() throws Exception {
        for (String path : List.of("/.well-known/jwks.json", "/.well-known/oauth-authorization-server")) {
            HttpResponse<String> get = signet.get(signet.base() + path);
            HttpResponse<String> head = signet.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(signet.base() + path)).method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(200, head.statusCode(), path);
            assertEquals("", head.body(), path);
            assertEquals(get.headers().firstValue("Content-Type"), head.headers().firstValue("Content-Type"), path);
            assertEquals(get.headers().firstValue("ETag"), head.headers().firstValue("ETag"), path);
            HttpResponse<String> post = signet.post(path, null, "application/json", "{}");
            assertProblem(post, 405, "not allowed");
            assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""), path);
            assertEquals("urn:signet:problem:method-not-allowed", json(post).get("type"));
        }
        // The connection stays usable after a HEAD: no stray body bytes were sent.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", signet.daemon.server().port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("HEAD /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            // Read until the GET's body has come (Helidon keeps the connection open after Connection: close).
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            while (got.indexOf("\"keys\"") < 0) {
                int n = s.getInputStream().read(buf);
                assertTrue(n > 0, "the GET after the HEAD is answered: " + got);
                got.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
            String both = got.toString();
            assertTrue(both.startsWith("HTTP/1.1 200"), both);
            int second = both.indexOf("HTTP/1.1 200", 1);
            assertTrue(second > 0, "the bytes after the HEAD's headers are the GET's answer: " + both);
            assertFalse(both.substring(0, second).contains("\"keys\""), "HEAD sent no body: " + both);
        }
    }

    @Test
    void adminSocketIsSeparateAndNeedsTheAdminCredential() {
        assertProblem(signet.get(signet.adminBase() + "/v1/keys"), 401, "admin");
        assertProblem(signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + ALPHA), 401, "admin");
        HttpResponse<String> keys = signet.get(signet.adminBase() + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN);
        assertEquals(200, keys.statusCode());
        Map<String, Object> body = json(keys);
        assertEquals(Boolean.FALSE, ((Map<?, ?>) body.get("backend")).get("hardware_protected"));
        assertEquals(dev.signet.rotation.ReplicaId.resolve(null, dataDir).value(), body.get("replica"),
                "the replica id kept in the data dir");
        assertEquals("ACTIVE", ((Map<?, ?>) ((List<?>) body.get("keys")).getFirst()).get("state"));
        assertEquals(404, signet.get(signet.base() + "/v1/keys").statusCode(), "keys are not on the public socket");
    }

    @Test
    void healthAndMetricsAreOnTheAdminSocket() {
        HttpResponse<String> health = signet.get(signet.adminBase() + "/observe/health");
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("\"UP\""), health.body());
        signet.mint(ALPHA, request("a", "https://alpha.example", 60, "repo:alpha/x", "read"));
        HttpResponse<String> metrics = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("signet_tokens_total{"), "Prometheus text has the token counter");
        assertTrue(metrics.body().contains("signet_journal_version{"), "and the journal version per replica");
        assertTrue(metrics.body().contains("replica=\"" + dev.signet.rotation.ReplicaId.resolve(null, dataDir).value()
                + "\""), "tagged with the replica id");
        assertEquals(404, signet.get(signet.base() + "/observe/health").statusCode(), "observability is not public");
    }

    @Test
    void keysAndTokensSurviveARestart() throws Exception {
        String token = (String) json(signet.mint(ALPHA, request("a", "https://alpha.example", 600, "repo:alpha/x", "read"))).get("token");
        String kid = SignedJWT.parse(token).getHeader().getKeyID();
        signet.close();
        signet = new TestDaemon(dataDir);
        verify(token, "https://alpha.example");
        String after = (String) json(signet.mint(ALPHA, request("b", "https://alpha.example", 600, "repo:alpha/x", "read"))).get("token");
        assertEquals(kid, SignedJWT.parse(after).getHeader().getKeyID(), "a restart does not change the signing key");
    }

    @Test
    void keysDoNotSurviveAnotherDataDir(@TempDir Path other) throws Exception {
        String token = (String) json(signet.mint(ALPHA, request("a", "https://alpha.example", 600, "repo:alpha/x", "read"))).get("token");
        try (TestDaemon fresh = new TestDaemon(other)) {
            String freshToken = (String) json(fresh.mint(ALPHA, request("a", "https://alpha.example", 600, "repo:alpha/x", "read"))).get("token");
            assertNotEquals(SignedJWT.parse(token).getHeader().getKeyID(), SignedJWT.parse(freshToken).getHeader().getKeyID());
        }
    }

    static void assertProblem(HttpResponse<String> res, int status, String detailContains) {
        assertEquals(status, res.statusCode(), res.body());
        assertEquals("application/problem+json", res.headers().firstValue("Content-Type").orElse(""), res.body());
        Map<String, Object> problem = json(res);
        assertEquals((long) status, problem.get("status"));
        assertTrue(((String) problem.get("type")).startsWith("urn:signet:problem:"), res.body());
        String detail = (String) problem.get("detail");
        assertTrue(detail.toLowerCase().contains(detailContains.toLowerCase()), "detail '" + detail + "' should mention " + detailContains);
        assertFalse(res.body().contains("Exception") || res.body().contains("\tat "), "no stack trace: " + res.body());
        String id = (String) problem.get("request_id");
        assertTrue(id != null && !id.isEmpty(), "every problem carries a request id: " + res.body());
        assertEquals(id, res.headers().firstValue("X-Request-Id").orElse(""), "the same id is in the response header");
    }

}
