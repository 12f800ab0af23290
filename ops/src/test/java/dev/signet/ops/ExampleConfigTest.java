package dev.signet.ops;

import dev.signet.api.SignetConfig;
import dev.signet.issuance.MinterPolicy;
import dev.signet.issuance.ScopeItem;
import dev.signet.issuance.TokenRequest;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The configuration reference the README points at must stay loadable. */
class ExampleConfigTest {

    @Test
    void exampleConfigurationLoads() {
        SignetConfig c = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.file(Path.of("config", "signet.example.yaml"))).build());
        assertEquals("https://signet.example.com", c.issuer());
        assertEquals(SigningAlgorithm.ES256, c.rotation().algorithm());
        assertEquals(Duration.ofDays(7), c.rotation().rotationPeriod());
        assertEquals(Duration.ofMinutes(30), c.rotation().jwksMaxAge());
        assertEquals(2, c.minters().size());
        assertEquals(Duration.ofMinutes(10), c.minters().get(0).policy().maxTtl());
        assertEquals(Duration.ofMinutes(15), c.minters().get(1).policy().maxTtl());
        // The example's patterns are in the grammar (else from() refuses them) and mean what its comments say.
        MinterPolicy ci = c.minters().get(0).policy();
        assertDoesNotThrow(() -> ci.check(request("https://build-7.ci.example.com", "file:/srv/public/docs/index.html")));
        assertDoesNotThrow(() -> ci.check(request("https://git.example.com", "repo:acme/widgets")));
        assertThrows(SignetException.class, () -> ci.check(request("https://git.example.com", "repo:acme/widgets/x")));
        assertThrows(SignetException.class, () -> ci.check(request("https://a.b.ci.example.com", "repo:acme/widgets")));
        assertEquals("software", c.backendType());
        assertEquals("SIGNET_KEYSTORE_PASSWORD", c.backendValues().get("password-env"));
        assertFalse(c.toString().contains("sha256:"), "toString shows no credential hash");
    }

    @Test
    void threeReplicaExampleLoadsWithThePasswordOutOfTheFile() {
        SignetConfig c = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.file(Path.of("config", "signet.replicas.example.yaml"))).build());
        assertEquals("postgres", c.store().type());
        assertEquals("SIGNET_STORE_PASSWORD", c.store().passwordEnv());
        assertEquals("kms", c.backendType());
        assertEquals(null, c.replicaId(), "each replica's id comes from --set or its data dir");
        assertEquals("alias/signet-subkey-wrapping", c.delegation().wrappingKey(), "delegated, with fast restarts");
    }

    static TokenRequest request(String audience, String resource) {
        return new TokenRequest("agent", audience, Duration.ofMinutes(1), List.of(new ScopeItem(resource, List.of("read"))),
                Optional.empty());
    }
}
