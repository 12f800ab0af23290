package dev.signet.ops;

import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code signet dev --tls}'s certificates, used the way dev mode configures them, and the CLI's TLS client. */
class DevTlsTest {

    @TempDir
    Path dir;

    @Test
    void devCertificatesServeMutualTlsAndTheCliSpeaksTls() throws Exception {
        DevTls.Files5 f = DevTls.ensure(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.dir())));
        for (Path p : new Path[] {f.ca(), f.server(), f.serverKey(), f.minter(), f.minterKey()}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        String before = Files.readString(f.minter());
        DevTls.ensure(dir);
        assertEquals(before, Files.readString(f.minter()), "restarts keep the certificates");

        String minter = "dev-minter-credential-0123456789";
        String admin = "dev-admin-credential-0123456789";
        Map<String, String> c = new LinkedHashMap<>();
        c.put("signet.issuer", "https://localhost:0");
        c.put("signet.port", "0");
        c.put("signet.admin.port", "0");
        c.put("signet.data-dir", dir.resolve("data").toString());
        c.put("signet.admin.credential-hash", CredentialHash.of(admin).text());
        c.put("signet.backend.type", "software");
        c.put("signet.minters.0.name", "dev");
        c.put("signet.minters.0.credential-hash", CredentialHash.of(minter).text());
        c.put("signet.minters.0.audiences.0", "*");
        c.put("signet.minters.0.resources.0", "**");
        c.put("signet.minters.0.actions.0", "*");
        for (String socket : new String[] {"signet.tls.", "signet.admin.tls."}) {
            c.put(socket + "certificate", f.server().toString());
            c.put(socket + "private-key", f.serverKey().toString());
        }
        c.put("signet.tls.client-trust." + DevTls.TRUST_DOMAIN, f.ca().toString());
        c.put("signet.minters.0.client-certificate.spiffe-id", DevTls.MINTER_ID);
        SignetConfig config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build());
        try (Daemon daemon = Daemon.start(config, Clock.systemUTC())) {
            String body = "{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                    + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}";
            HttpRequest req = HttpRequest.newBuilder(URI.create("https://localhost:" + daemon.server().port()
                            + "/v1/tokens")).timeout(Duration.ofSeconds(20))
                    .header("Authorization", "Bearer " + minter).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try (HttpClient mtls = HttpClient.newBuilder()
                    .sslContext(TlsClient.context(f.ca(), f.minter(), f.minterKey())).build();
                 HttpClient noCert = HttpClient.newBuilder().sslContext(TlsClient.context(f.ca(), null, null)).build()) {
                assertEquals(201, mtls.send(req, HttpResponse.BodyHandlers.ofString()).statusCode());
                HttpResponse<String> refused = noCert.send(req, HttpResponse.BodyHandlers.ofString());
                assertEquals(401, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("also needs its client certificate"), refused.body());
            }
            // The keys CLI over TLS to the admin socket.
            KeysCommand.tls = TlsClient.context(f.ca(), null, null);
            String keys = KeysCommand.call(URI.create("https://localhost:" + daemon.server().adminPort()), "/v1/keys",
                    admin, false);
            assertTrue(keys.contains("\"keys\""), keys);
        } finally {
            KeysCommand.tls = null;
        }
        assertThrows(java.io.IOException.class, () -> TlsClient.context(f.minterKey(), null, null),
                "a file without certificates is refused as --cacert");
    }
}
