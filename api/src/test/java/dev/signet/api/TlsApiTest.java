package dev.signet.api;

import dev.signet.issuance.CredentialHash;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on a real daemon: TLS 1.3 only, reload of the serving certificate and of client trust bundles, minters that
 * authenticate by X.509-SVID or subject, and each attack from issue 17 refused while others keep being served.
 */
class TlsApiTest {

    static final String DELTA = "delta-credential-0123456789abcdef";
    static final String GAMMA_REQUEST = TestDaemon.request("u1", "https://gamma.example", 60, "repo:gamma/x", "read");

    @TempDir
    static Path dir;
    static TestPki.Issued serverCa;
    static TestPki.Issued prodCa;
    static TestPki.Issued devCa;
    static TestDaemon signet;
    static Path prodBundle;

    @BeforeAll
    static void start() throws IOException {
        serverCa = TestPki.ca("Test Server CA");
        prodCa = TestPki.ca("prod.example SPIFFE CA");
        devCa = TestPki.ca("dev.example SPIFFE CA");
        TestPki.server(serverCa, "signet-one", Duration.ofDays(90)).writePem(dir.resolve("server.pem"),
                dir.resolve("server-key.pem"));
        prodBundle = dir.resolve("prod.pem");
        Files.writeString(prodBundle, TestPki.pem(prodCa.cert()));
        Files.writeString(dir.resolve("dev.pem"), TestPki.pem(devCa.cert()));
        Map<String, String> c = new HashMap<>();
        c.put("signet.tls.certificate", dir.resolve("server.pem").toString());
        c.put("signet.tls.private-key", dir.resolve("server-key.pem").toString());
        c.put("signet.tls.client-trust.prod.example", prodBundle.toString());
        c.put("signet.tls.client-trust.dev.example", dir.resolve("dev.pem").toString());
        c.put("signet.tls.reload-interval", "PT1H"); // the tests trigger reloads themselves
        minter(c, 2, "gamma", null, "spiffe-id", "spiffe://prod.example/ns/web/*");
        c.put("signet.minters.2.delegation.allow-unbound", "true");
        minter(c, 3, "delta", DELTA, "spiffe-id", "spiffe://prod.example/ns/batch");
        minter(c, 4, "epsilon", null, "subject", "CN=legacy-minter, O=Example");
        signet = new TestDaemon(dir.resolve("data"), c);
    }

    private static void minter(Map<String, String> c, int i, String name, String credential, String kind,
                               String value) {
        String p = "signet.minters." + i + ".";
        c.put(p + "name", name);
        if (credential != null) {
            c.put(p + "credential-hash", CredentialHash.of(credential).text());
        }
        c.put(p + "client-certificate." + kind, value);
        c.put(p + "audiences.0", "https://" + name + ".example");
        c.put(p + "resources.0", "repo:" + name + "/*");
        c.put(p + "actions.0", "read");
    }

    @AfterAll
    static void stop() {
        signet.close();
    }

    static String base() {
        return "https://127.0.0.1:" + signet.daemon.server().port();
    }

    static HttpClient client(SSLContext ctx) {
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(20)).build();
    }

    static HttpResponse<String> mint(HttpClient http, String credential, String body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "/v1/tokens"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return send(http, b.build());
    }

    /** Sends over TLS and checks the exchange against the OpenAPI document, as {@link TestDaemon#send} does. */
    static HttpResponse<String> send(HttpClient http, HttpRequest request) throws IOException {
        try {
            HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
            signet.conforms(request, res);
            return res;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static String clientId(HttpResponse<String> res) {
        assertEquals(201, res.statusCode(), res.body());
        String token = (String) TestDaemon.json(res).get("token");
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        try {
            return (String) com.nimbusds.jose.util.JSONObjectUtils.parse(payload).get("client_id");
        } catch (java.text.ParseException e) {
            throw new AssertionError(payload, e);
        }
    }

    /** The daemon still serves a bearer minter over TLS: every attack test ends with this. */
    static void stillServes() throws IOException {
        try (HttpClient http = client(TestPki.trustOnly(serverCa))) {
            assertEquals(201, mint(http, TestDaemon.ALPHA,
                    TestDaemon.request("u", "https://alpha.example", 60, "repo:alpha/x", "read")).statusCode());
        }
    }

    static void assertProblem(HttpResponse<String> res, int status, String detailPart) {
        assertEquals(status, res.statusCode(), res.body());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        assertTrue(res.body().contains(detailPart), res.body());
    }

    @Test
    void bearerMinterOverTls13() throws Exception {
        try (HttpClient http = client(TestPki.trustOnly(serverCa))) {
            HttpResponse<String> res = mint(http, TestDaemon.ALPHA,
                    TestDaemon.request("u", "https://alpha.example", 60, "repo:alpha/x", "read"));
            assertEquals("alpha", clientId(res));
            assertEquals("TLSv1.3", res.sslSession().orElseThrow().getProtocol());
        }
    }

    @Test
    void svidMinterIsFoundByItsSpiffeIdAndClientIdIsItsName() throws Exception {
        TestPki.Issued svid = TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front");
        try (HttpClient http = client(svid.clientContext(serverCa))) {
            assertEquals("gamma", clientId(mint(http, null, GAMMA_REQUEST)));
        }
    }

    /**
     * Issue 17: every minter-authenticated endpoint takes a certificate-only minter (batch as well as single), and
     * the token exchange, which authenticates the parent's holder rather than a minter, takes its tokens: the child
     * keeps the minter's name as client_id.
     */
    @Test
    void certificateOnlyMinterBatchesAndItsTokensAreExchanged() throws Exception {
        TestPki.Issued svid = TestPki.svid(prodCa, "spiffe://prod.example/ns/web/batcher");
        String parent;
        try (HttpClient http = client(svid.clientContext(serverCa))) {
            HttpResponse<String> batch = send(http, HttpRequest.newBuilder(URI.create(base() + "/v1/tokens/batch"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"requests\":[" + GAMMA_REQUEST + ","
                            + GAMMA_REQUEST.replace("repo:gamma", "repo:alpha") + "]}")).build());
            assertEquals(200, batch.statusCode(), batch.body());
            java.util.List<?> results = (java.util.List<?>) TestDaemon.json(batch).get("results");
            parent = (String) ((Map<?, ?>) results.get(0)).get("token");
            assertTrue(parent != null, batch.body());
            assertEquals("urn:signet:problem:permission-denied",
                    ((Map<?, ?>) ((Map<?, ?>) results.get(1)).get("problem")).get("type"), "gamma's policy still holds");
        }
        // The holder of the parent exchanges it over TLS without any client certificate.
        try (HttpClient http = client(TestPki.trustOnly(serverCa))) {
            String form = "grant_type=" + java.net.URLEncoder.encode(dev.signet.issuance.Exchange.GRANT_TYPE, StandardCharsets.UTF_8)
                    + "&subject_token=" + parent + "&subject_token_type="
                    + java.net.URLEncoder.encode(dev.signet.issuance.Exchange.ACCESS_TOKEN_TYPE, StandardCharsets.UTF_8)
                    + "&actor=sub-agent-1";
            HttpResponse<String> child = send(http, HttpRequest.newBuilder(URI.create(base() + "/v1/token-exchange"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build());
            assertEquals(200, child.statusCode(), child.body());
            String token = (String) TestDaemon.json(child).get("access_token");
            var claims = com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet();
            assertEquals("gamma", claims.getStringClaim("client_id"));
            assertEquals("sub-agent-1", claims.getJSONObjectClaim("act").get("sub"));
        }
    }

    @Test
    void subjectMinterIsComparedInCanonicalForm() throws Exception {
        TestPki.Issued cert = TestPki.client(devCa, "CN=Legacy-Minter,O=example", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        try (HttpClient http = client(cert.clientContext(serverCa))) {
            assertEquals("epsilon", clientId(mint(http, null,
                    TestDaemon.request("u", "https://epsilon.example", 60, "repo:epsilon/x", "read"))));
        }
    }

    @Test
    void plainHttpToTheTlsSocketGetsNoHttpAnswer() throws Exception {
        try (Socket s = new Socket("127.0.0.1", signet.daemon.server().port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestDaemon.ALPHA
                    + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = readSome(s.getInputStream());
            assertFalse(new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/"),
                    "a plaintext request must not be answered in plaintext");
        }
        stillServes();
    }

    private static byte[] readSome(InputStream in) {
        try {
            return in.readNBytes(64);
        } catch (IOException e) {
            return new byte[0]; // reset: refused
        }
    }

    @Test
    void tls12AndOlderClientsAreRefusedByDefault() throws Exception {
        for (String protocol : new String[] {"TLSv1.2", "TLSv1.1", "TLSv1"}) {
            SSLContext ctx = TestPki.trustOnly(serverCa);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1",
                    signet.daemon.server().port())) {
                s.setSoTimeout(20_000);
                // The JDK may refuse to offer 1.0/1.1 at all (jdk.tls.disabledAlgorithms): refused either way.
                try {
                    s.setEnabledProtocols(new String[] {protocol});
                } catch (IllegalArgumentException e) {
                    continue;
                }
                assertThrows(IOException.class, s::startHandshake, protocol);
            }
        }
        stillServes();
    }

    @Test
    void unknownCaIsRefusedInTheHandshake() throws Exception {
        TestPki.Issued rogue = TestPki.svid(TestPki.ca("rogue"), "spiffe://prod.example/ns/web/front");
        try (HttpClient http = client(rogue.clientContext(serverCa))) {
            assertThrows(IOException.class, () -> mint(http, null, GAMMA_REQUEST));
        }
        stillServes();
    }

    @Test
    void expiredClientCertificateIsRefusedInTheHandshake() throws Exception {
        TestPki.Issued expired = TestPki.client(prodCa, "CN=legacy-minter,O=Example",
                Instant.now().minus(Duration.ofDays(2)), Instant.now().minus(Duration.ofDays(1)));
        try (HttpClient http = client(expired.clientContext(serverCa))) {
            assertThrows(IOException.class, () -> mint(http, null, GAMMA_REQUEST));
        }
        stillServes();
    }

    @Test
    void anotherSpiffeIdGetsNoOtherMintersPolicy() throws Exception {
        // Valid SVID of the right trust domain, but for a path no minter has.
        TestPki.Issued db = TestPki.svid(prodCa, "spiffe://prod.example/ns/db/primary");
        try (HttpClient http = client(db.clientContext(serverCa))) {
            assertProblem(mint(http, null, GAMMA_REQUEST), 403, "no minter is configured for the client certificate"
                    + " spiffe://prod.example/ns/db/primary");
        }
        stillServes();
    }

    @Test
    void oneTrustDomainsCaCannotAssertAnothersIds() throws Exception {
        TestPki.Issued forged = TestPki.svid(devCa, "spiffe://prod.example/ns/web/front");
        try (HttpClient http = client(forged.clientContext(serverCa))) {
            assertProblem(mint(http, null, GAMMA_REQUEST), 401, "does not verify against trust domain prod.example");
        }
        stillServes();
    }

    @Test
    void aSvidCarriesExactlyOneUriSan() throws Exception {
        TestPki.Issued two = TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front", "https://other.example/x");
        try (HttpClient http = client(two.clientContext(serverCa))) {
            assertProblem(mint(http, null, GAMMA_REQUEST), 401, "exactly one URI SAN");
        }
        stillServes();
    }

    @Test
    void bothRequiredMeansBoth() throws Exception {
        String request = TestDaemon.request("u", "https://delta.example", 60, "repo:delta/x", "read");
        TestPki.Issued right = TestPki.svid(prodCa, "spiffe://prod.example/ns/batch");
        TestPki.Issued wrong = TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front");
        try (HttpClient http = client(right.clientContext(serverCa))) {
            assertEquals("delta", clientId(mint(http, DELTA, request)));
            assertProblem(mint(http, null, request), 401, "also needs its bearer credential");
        }
        try (HttpClient http = client(wrong.clientContext(serverCa))) {
            HttpResponse<String> res = mint(http, DELTA, request);
            assertProblem(res, 401, "is not this minter's");
            assertFalse(res.body().contains(DELTA));
        }
        try (HttpClient http = client(TestPki.trustOnly(serverCa))) {
            assertProblem(mint(http, DELTA, request), 401, "also needs its client certificate");
        }
        stillServes();
    }

    @Test
    void removingATrustBundleStopsOpenConnectionsAuthenticatedUnderIt() throws Exception {
        TestPki.Issued svid = TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front");
        String original = Files.readString(prodBundle);
        try (HttpClient http = client(svid.clientContext(serverCa))) {
            assertEquals("gamma", clientId(mint(http, null, GAMMA_REQUEST)));
            // prod.example's CA is replaced; the keep-alive connection stays open.
            Files.writeString(prodBundle, TestPki.pem(TestPki.ca("new prod.example CA").cert()));
            assertTrue(signet.daemon.server().tls().publicTls.poll());
            assertProblem(mint(http, null, GAMMA_REQUEST), 401, "does not verify against trust domain prod.example");
        } finally {
            Files.writeString(prodBundle, original);
            signet.daemon.server().tls().publicTls.poll();
        }
        stillServes();
    }

    @Test
    void servingCertificateIsReloadedWhenItsFilesChange() throws Exception {
        ServingTls tls = signet.daemon.server().tls().publicTls;
        assertFalse(tls.poll(), "unchanged files are not reloaded");
        TestPki.server(serverCa, "signet-two", Duration.ofDays(3)).writePem(dir.resolve("server.pem"),
                dir.resolve("server-key.pem"));
        assertTrue(tls.poll());
        try (HttpClient http = client(TestPki.trustOnly(serverCa))) {
            HttpResponse<String> res = mint(http, TestDaemon.ALPHA,
                    TestDaemon.request("u", "https://alpha.example", 60, "repo:alpha/x", "read"));
            X509Certificate served = (X509Certificate) res.sslSession().orElseThrow().getPeerCertificates()[0];
            assertEquals("CN=signet-two", served.getSubjectX500Principal().getName());
        }
        // Expiring within the default 14-day window: readiness stays UP and says so; the gauge shows it.
        HttpResponse<String> health = signet.get(signet.adminBase() + "/observe/health");
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("the serving certificate expires at"), health.body());
        HttpResponse<String> metrics = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain");
        assertTrue(metrics.body().contains("signet_tls_certificate_expiry_seconds"), metrics.body());

        // A half-written key is not loaded; the previous certificate keeps serving.
        Files.writeString(dir.resolve("server-key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n");
        assertFalse(tls.poll());
        stillServes();
        TestPki.server(serverCa, "signet-three", Duration.ofDays(90)).writePem(dir.resolve("server.pem"),
                dir.resolve("server-key.pem"));
        assertTrue(tls.poll());
    }
}
