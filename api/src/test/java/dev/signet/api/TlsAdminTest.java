package dev.signet.api;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin socket over TLS from a PKCS#12 file (password in a file), requiring both the admin credential and
 * the admin client certificate; the public socket stays plain.
 */
class TlsAdminTest {

    @TempDir
    static Path dir;
    static TestPki.Issued serverCa;
    static TestPki.Issued opsCa;
    static TestDaemon signet;

    @BeforeAll
    static void start() throws Exception {
        serverCa = TestPki.ca("Admin Server CA");
        opsCa = TestPki.ca("Ops CA");
        TestPki.Issued server = TestPki.server(serverCa, "signet-admin", Duration.ofDays(90));
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(null, null);
        char[] pw = "p12-password-not-in-config".toCharArray();
        p12.setKeyEntry("admin", server.keys().getPrivate(), pw, server.chain().toArray(X509Certificate[]::new));
        try (OutputStream out = Files.newOutputStream(dir.resolve("admin.p12"))) {
            p12.store(out, pw);
        }
        Files.writeString(dir.resolve("p12-password"), new String(pw) + "\n");
        Files.writeString(dir.resolve("ops.pem"), TestPki.pem(opsCa.cert()));
        signet = new TestDaemon(dir.resolve("data"), adminTls());
    }

    private static Map<String, String> adminTls() {
        Map<String, String> c = new HashMap<>();
        c.put("signet.admin.tls.pkcs12", dir.resolve("admin.p12").toString());
        c.put("signet.admin.tls.key-password-file", dir.resolve("p12-password").toString());
        c.put("signet.admin.tls.client-trust.ops.example", dir.resolve("ops.pem").toString());
        c.put("signet.admin.client-certificate.subject", "CN=oncall,O=Example");
        return c;
    }

    @AfterAll
    static void stop() {
        signet.close();
    }

    private static HttpResponse<String> keys(TestPki.Issued cert, String credential) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().sslContext(cert == null ? TestPki.trustOnly(serverCa)
                : cert.clientContext(serverCa)).build()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                    + signet.daemon.server().adminPort() + "/v1/keys")).timeout(Duration.ofSeconds(20));
            if (credential != null) {
                b.header("Authorization", "Bearer " + credential);
            }
            HttpRequest request = b.build();
            HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
            signet.conforms(request, res);
            return res;
        }
    }

    @Test
    void adminNeedsBothCredentialAndCertificate() throws Exception {
        TestPki.Issued oncall = TestPki.client(opsCa, "CN=oncall,O=Example", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        TestPki.Issued intern = TestPki.client(opsCa, "CN=intern,O=Example", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        assertEquals(200, keys(oncall, TestDaemon.ADMIN).statusCode());
        HttpResponse<String> noCert = keys(null, TestDaemon.ADMIN);
        assertEquals(401, noCert.statusCode());
        assertTrue(noCert.body().contains("the admin client certificate is required"), noCert.body());
        HttpResponse<String> wrongCert = keys(intern, TestDaemon.ADMIN);
        assertEquals(401, wrongCert.statusCode());
        assertTrue(wrongCert.body().contains("is not the admin's"), wrongCert.body());
        assertEquals(401, keys(oncall, null).statusCode());
        // The public socket is still plain HTTP.
        assertEquals(200, signet.get(signet.jwksUrl()).statusCode());
    }

    private static HttpResponse<String> ui(TestPki.Issued cert, String method, String path, String cookie, String form)
            throws Exception {
        try (HttpClient http = HttpClient.newBuilder().sslContext(cert == null ? TestPki.trustOnly(serverCa)
                : cert.clientContext(serverCa)).build()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                    + signet.daemon.server().adminPort() + path)).timeout(Duration.ofSeconds(20))
                    .method(method, form == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(form));
            if (form != null) {
                b.header("Content-Type", "application/x-www-form-urlencoded");
            }
            if (cookie != null) {
                b.header("Cookie", cookie);
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void theTimelineSessionCookieIsSecureUnderTlsAndTheCertificateIsStillRequired() throws Exception {
        TestPki.Issued oncall = TestPki.client(opsCa, "CN=oncall,O=Example", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        TestPki.Issued intern = TestPki.client(opsCa, "CN=intern,O=Example", Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)));
        assertEquals(401, ui(intern, "POST", "/ui/login", null, "credential=" + TestDaemon.ADMIN).statusCode(),
                "the credential alone does not log in with the wrong certificate");
        HttpResponse<String> in = ui(oncall, "POST", "/ui/login", null, "credential=" + TestDaemon.ADMIN);
        assertEquals(303, in.statusCode(), in.body());
        String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.contains("Secure") && setCookie.contains("HttpOnly"), setCookie);
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        assertTrue(ui(oncall, "GET", "/ui", cookie, null).body().contains("id=\"timeline\""));
        assertEquals(401, ui(null, "GET", "/ui", cookie, null).statusCode(), "the session needs the certificate too");
    }

    @Test
    void passwordsAndHalfConfigurationsAreRefusedAtStart() {
        Map<String, String> literal = new HashMap<>(adminTls());
        literal.put("signet.admin.tls.key-password", "secret-in-config");
        assertRefused(literal, "key-password is not read");
        Map<String, String> noTrust = new HashMap<>(adminTls());
        noTrust.remove("signet.admin.tls.client-trust.ops.example");
        assertRefused(noTrust, "signet.admin.client-certificate needs signet.admin.tls with client-trust");
        Map<String, String> wrongPassword = new HashMap<>(adminTls());
        wrongPassword.put("signet.admin.tls.key-password-env", "SIGNET_TEST_UNSET_VARIABLE");
        wrongPassword.remove("signet.admin.tls.key-password-file");
        assertRefused(wrongPassword, "SIGNET_TEST_UNSET_VARIABLE, which is not set");
    }

    private static void assertRefused(Map<String, String> tls, String message) {
        Map<String, String> c = new HashMap<>(tls);
        c.put("signet.issuer", "https://signet.test");
        c.put("signet.admin.credential-hash", dev.signet.issuance.CredentialHash.of("x").text());
        c.put("signet.backend.type", "software");
        c.put("signet.minters.0.name", "m");
        c.put("signet.minters.0.credential-hash", dev.signet.issuance.CredentialHash.of("m").text());
        Exception e = assertThrows(dev.signet.spi.SignetException.class, () -> {
            SignetConfig config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build());
            TlsSockets.start(config.tls(), java.time.Clock.systemUTC(), System::getenv, null).close();
        });
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(!e.getMessage().contains("secret-in-config") && !e.getMessage().contains("p12-password-not"),
                "no secret in the message");
    }
}
