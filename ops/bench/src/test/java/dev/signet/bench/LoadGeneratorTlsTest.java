package dev.signet.bench;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWKSet;
import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import dev.signet.ops.DevTls;
import dev.signet.spi.testing.JwsVerification;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator against a daemon configured as {@code signet dev --tls} configures it: mTLS from PEM files. */
class LoadGeneratorTlsTest {

    @TempDir
    Path dir;

    @Test
    void mintsOverMutualTlsWithThePemFilesOfDevTls() throws Exception {
        DevTls.Files5 f = DevTls.ensure(dir);
        String minter = "bench-minter-credential-0123456789";
        Map<String, String> c = new LinkedHashMap<>();
        c.put("signet.issuer", "https://localhost:0");
        c.put("signet.port", "0");
        c.put("signet.admin.port", "0");
        c.put("signet.data-dir", dir.resolve("data").toString());
        c.put("signet.admin.credential-hash", CredentialHash.of("bench-admin-credential-0123456789").text());
        c.put("signet.backend.type", "software");
        c.put("signet.minters.0.name", "dev");
        c.put("signet.minters.0.credential-hash", CredentialHash.of(minter).text());
        c.put("signet.minters.0.audiences.0", "*");
        c.put("signet.minters.0.resources.0", "**");
        c.put("signet.minters.0.actions.0", "*");
        c.put("signet.minters.0.client-certificate.spiffe-id", DevTls.MINTER_ID);
        c.put("signet.tls.certificate", f.server().toString());
        c.put("signet.tls.private-key", f.serverKey().toString());
        c.put("signet.tls.client-trust." + DevTls.TRUST_DOMAIN, f.ca().toString());
        SignetConfig config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build());
        try (Daemon daemon = Daemon.start(config, Clock.systemUTC())) {
            String base = "https://localhost:" + daemon.server().port();
            String body = "{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                    + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}";
            HttpRequest mint = HttpRequest.newBuilder(URI.create(base + "/v1/tokens")).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + minter).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try (HttpClient mtls = LoadGenerator.client(f.ca(), f.minter(), f.minterKey());
                 HttpClient noCert = LoadGenerator.client(f.ca(), null, null)) {
                // The time bound is only a backstop many times what 300 requests take on a loaded machine.
                AtomicLong count = new AtomicLong();
                long errors = LoadGenerator.runClosed(mtls, mint, 4, 600, 300, new long[1000], count);
                assertEquals(0, errors, "every request got 201");
                assertTrue(count.get() >= 300, "sent " + count.get());
                assertFalse(LoadGenerator.send(noCert, mint), "the dev minter needs its client certificate");

                JWKSet jwks = JWKSet.parse(mtls.send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body());
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> res = mtls.send(mint, HttpResponse.BodyHandlers.ofString());
                    assertEquals(201, res.statusCode(), res.body());
                    Matcher m = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(res.body());
                    assertTrue(m.find(), res.body());
                    String kid = JWSObject.parse(m.group(1)).getHeader().getKeyID();
                    assertTrue(JwsVerification.verifies(m.group(1), jwks.getKeyByKeyId(kid)), "token verifies");
                }
            }
        }
    }
}
