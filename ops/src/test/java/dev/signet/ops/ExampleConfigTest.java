package dev.signet.ops;

import dev.signet.api.SignetConfig;
import dev.signet.spi.SigningAlgorithm;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
        assertEquals("software", c.backendType());
        assertEquals("SIGNET_KEYSTORE_PASSWORD", c.backendValues().get("password-env"));
        assertFalse(c.toString().contains("sha256:"), "toString shows no credential hash");
    }
}
