package dev.signet.api;

import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.signet.api.TestDaemon.ADMIN;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI documents: valid OpenAPI 3.1 (the OAS 3.1 schema, with networknt's validator), served at
 * {@code /openapi} on each socket as YAML or JSON, and true: a tour calls every documented operation on a real
 * daemon, and {@link TestDaemon} checks each exchange against the document ({@link OpenApiContract}), as it does for
 * every api test. The contract itself is shown to fail on what it must catch.
 */
class OpenApiTest {

    @TempDir
    static Path dir;
    static TestDaemon signet;
    static MutableClock clock;

    @BeforeAll
    static void start() {
        clock = new MutableClock(Instant.now());
        signet = new TestDaemon(dir, Map.of("signet.minters.1.delegation.allow-unbound", "true"), clock);
    }

    @AfterAll
    static void stop() {
        signet.close();
    }

    @Test
    void bothDocumentsAreValidOpenApi31() {
        var oas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                        b -> b.schemaIdResolvers(r -> r.mapPrefix("https://spec.openapis.org/oas/3.1", "classpath:oas/3.1")))
                .getSchema(SchemaLocation.of("https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"));
        for (OpenApiContract.Socket socket : OpenApiContract.Socket.values()) {
            String json = OpenApiContract.of(socket).document().toString();
            assertEquals(List.of(), oas.validate(json, InputFormat.JSON), socket.resource);
        }
        String broken = OpenApiContract.of(OpenApiContract.Socket.PUBLIC).document().toString()
                .replace("\"openapi\":\"3.1.0\"", "\"openapi\":\"three\"");
        assertFalse(oas.validate(broken, InputFormat.JSON).isEmpty(), "the meta-schema check can fail");
    }

    @Test
    void servedOnEachSocketAsYamlOrJson() throws Exception {
        for (var socket : Map.of(signet.base(), OpenApiContract.Socket.PUBLIC,
                signet.adminBase(), OpenApiContract.Socket.ADMIN).entrySet()) {
            JsonNode expected = OpenApiContract.of(socket.getValue()).document();
            HttpResponse<String> yaml = signet.get(socket.getKey() + "/openapi");
            assertEquals(200, yaml.statusCode());
            assertEquals("application/yaml", yaml.headers().firstValue("Content-Type").orElse(""));
            assertEquals(expected, YAMLMapper.builder().build().readTree(yaml.body()));
            HttpResponse<String> json = signet.get(socket.getKey() + "/openapi", "Accept", "application/json");
            assertEquals("application/json", json.headers().firstValue("Content-Type").orElse(""));
            assertEquals(expected, JsonMapper.builder().build().readTree(json.body()));
            assertEquals(405, signet.send(HttpRequest.newBuilder(URI.create(socket.getKey() + "/openapi"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build()).statusCode());
        }
    }

    /** Every documented operation, called for real; each exchange is checked against the document as it happens. */
    @Test
    void aTourCallsEveryDocumentedOperationAndEachAnswerIsDocumented() throws Exception {
        String request = TestDaemon.request("agent-1", "https://alpha.example", 300, "repo:alpha/x", "read");
        HttpResponse<String> minted = signet.mint(ALPHA, request);
        assertEquals(201, minted.statusCode(), minted.body());
        assertEquals(200, signet.post("/v1/tokens/batch", ALPHA, "application/json",
                "{\"requests\":[" + request + "," + request.replace("repo:alpha", "repo:beta") + "]}").statusCode());
        assertEquals(422, signet.mint(ALPHA, "{\"sub\":\"a\"}").statusCode());
        assertEquals(401, signet.mint("wrong", request).statusCode());

        HttpResponse<String> beta = signet.mint(BETA, TestDaemon.request("agent-2", "https://beta.example", 120,
                "repo:beta/x", "read"));
        String parent = (String) json(beta).get("token");
        Map<String, String> form = new HashMap<>();
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
        form.put("subject_token", parent);
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
        form.put("actor", "sub-agent-1");
        assertEquals(200, Delegates.post(signet, form, null).statusCode());
        form.put("grant_type", "password");
        assertEquals(400, Delegates.post(signet, form, null).statusCode());

        HttpResponse<String> jwks = signet.get(signet.jwksUrl());
        String etag = jwks.headers().firstValue("ETag").orElseThrow();
        assertEquals(304, signet.get(signet.jwksUrl(), "If-None-Match", etag).statusCode());
        head(signet.jwksUrl());
        assertEquals(200, signet.get(signet.base() + "/.well-known/oauth-authorization-server").statusCode());
        head(signet.base() + "/.well-known/oauth-authorization-server");
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) ((Map<String, Object>) SignedJWT.parse(parent)
                .getJWTClaimsSet().getClaim("status")).get("status_list");
        String list = URI.create((String) status.get("uri")).getRawPath();
        assertEquals(200, signet.get(signet.base() + list).statusCode());
        head(signet.base() + list);
        assertEquals(404, signet.get(signet.base() + "/v1/status-lists/nope").statusCode());
        assertEquals(404, signet.get(signet.base() + "/no/such/path").statusCode());
        assertEquals(405, signet.get(signet.base() + "/v1/tokens").statusCode());

        String kid = (String) json(minted).get("kid");
        HttpResponse<String> prepared = admin("POST", "/v1/keys/prepare", null);
        String next = ((List<?>) json(prepared).get("keys")).stream().map(k -> (Map<?, ?>) k)
                .filter(k -> "PREPARED".equals(k.get("state"))).map(k -> (String) k.get("kid")).findFirst().orElseThrow();
        admin("POST", "/v1/keys/" + next + "/activate", null);
        admin("POST", "/v1/keys/" + kid + "/retire", null);
        admin("POST", "/v1/keys/" + kid + "/revoke", null);
        assertEquals(422, admin("POST", "/v1/keys/" + kid + "/destroy", null).statusCode());
        admin("POST", "/v1/keys/" + kid + "/destroy?now=true", null);
        admin("POST", "/v1/keys/rotate", null);
        assertEquals(200, admin("GET", "/v1/keys", null).statusCode());
        assertEquals(401, signet.get(signet.adminBase() + "/v1/keys").statusCode());
        assertEquals(201, admin("POST", "/v1/revocations", "{\"task\":\"task-9\",\"reason\":\"tour\"}").statusCode());
        assertEquals(422, admin("POST", "/v1/revocations", "{\"task\":\"a\",\"sub\":\"b\"}").statusCode());
        assertEquals(200, admin("GET", "/v1/revocations", null).statusCode());
        for (String health : List.of("", "/ready", "/live", "/started")) {
            assertEquals(200, signet.get(signet.adminBase() + "/observe/health" + health).statusCode(), health);
        }
        assertEquals(200, signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain").statusCode());
        assertEquals(200, signet.get(signet.adminBase() + "/ui").statusCode());
        HttpResponse<String> login = signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("credential=" + ADMIN)).build());
        assertEquals(303, login.statusCode());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertEquals(200, signet.get(signet.adminBase() + "/ui", "Cookie", cookie).statusCode());
        assertEquals(303, signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/ui/logout"))
                .header("Cookie", cookie).POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode());
        signet.get(signet.base() + "/openapi");
        signet.get(signet.adminBase() + "/openapi");

        Set<String> documented = new TreeSet<>();
        for (OpenApiContract.Socket socket : OpenApiContract.Socket.values()) {
            OpenApiContract.of(socket).operations().forEach(op -> documented.add(socket + " " + op));
        }
        Set<String> missed = new TreeSet<>(documented);
        missed.removeAll(signet.operations);
        assertEquals(Set.of(), missed, "documented operations the tour did not call");
    }

    @Test
    void theContractCatchesUndocumentedPathsStatusesAndBodies() {
        OpenApiContract pub = OpenApiContract.of(OpenApiContract.Socket.PUBLIC);
        URI tokens = URI.create("http://127.0.0.1/v1/tokens");
        String ok = "{\"token\":\"a.b.c\",\"kid\":\"k\",\"expires_at\":\"2026-11-30T12:00:00Z\"}";
        assertEquals(List.of(), pub.violations(exchange("POST", tokens, 201, "application/json", ok), ""));
        assertViolation(pub, exchange("POST", tokens, 418, "application/problem+json", problem(418)), "status 418");
        assertViolation(pub, exchange("POST", tokens, 201, "application/json", "{\"token\":\"a.b.c\"}"), "required");
        assertViolation(pub, exchange("POST", tokens, 201, "text/plain", ok), "media type");
        assertViolation(pub, exchange("GET", URI.create("http://127.0.0.1/v1/secret"), 200, "application/json", "{}"),
                "undocumented");
        assertViolation(pub, exchange("POST", tokens, 401, "application/problem+json",
                "{\"type\":\"urn:signet:problem:unauthenticated\",\"title\":\"Unauthorized\",\"status\":401}"), "required");
        assertViolation(pub, new OpenApiContract.Exchange("POST", tokens, "application/json", "{\"sub\":\"a\",\"extra\":1}",
                201, "application/json", ok), "request body");
        assertViolation(pub, new OpenApiContract.Exchange("POST", tokens, null, null, 201, "application/json", ok),
                "Cache-Control");
        OpenApiContract.Exchange unavailable = new OpenApiContract.Exchange("POST", tokens, null, null, 503,
                "application/problem+json", problem(503), Map.of());
        assertViolation(pub, unavailable, "Retry-After");
        assertEquals(List.of(), pub.violations(new OpenApiContract.Exchange("POST", tokens, null, null, 503,
                "application/problem+json", problem(503), Map.of("retry-after", List.of("3"))), ""));
        assertViolation(pub, new OpenApiContract.Exchange("POST", tokens, null, null, 503, "application/problem+json",
                problem(503), Map.of("Retry-After", List.of("soon"))), "header Retry-After");
        AssertionError e = assertThrows(AssertionError.class,
                () -> pub.assertConforms(exchange("POST", tokens, 418, "application/problem+json", problem(418)), ""));
        assertTrue(e.getMessage().contains("api/src/main/resources/openapi/public.yaml"), e.getMessage());
    }

    private static OpenApiContract.Exchange exchange(String method, URI uri, int status, String type, String body) {
        return new OpenApiContract.Exchange(method, uri, null, null, status, type, body,
                Map.of("Cache-Control", List.of("no-store")));
    }

    private static String problem(int status) {
        return "{\"type\":\"urn:signet:problem:internal\",\"title\":\"t\",\"status\":" + status
                + ",\"detail\":\"d\",\"request_id\":\"r\"}";
    }

    private static void assertViolation(OpenApiContract contract, OpenApiContract.Exchange e, String expected) {
        List<String> v = contract.violations(e, "");
        assertTrue(v.stream().anyMatch(s -> s.contains(expected)), e + " should violate (" + expected + "): " + v);
    }

    private static void head(String url) {
        HttpResponse<String> res = signet.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, res.statusCode(), url);
    }

    private static HttpResponse<String> admin(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(signet.adminBase() + path))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + ADMIN);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return signet.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
