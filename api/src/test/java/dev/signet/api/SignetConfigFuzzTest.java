package dev.signet.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.signet.issuance.Minter;
import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for the configuration loader (RELIABILITY.md): any bytes as the YAML of {@code signet serve
 * --config}. {@link SignetConfig#load} gives a configuration or refuses with INVALID_ARGUMENT whose message names
 * where: a {@code signet.} key, or the line of the YAML; never another exception. A configuration it gives can
 * start: ports in range, positive limits, at least one minter each with a way to authenticate, an http(s) issuer,
 * and no minter token outliving the rotation's max-token-ttl.
 */
class SignetConfigFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void load(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        SignetConfig config;
        try {
            config = SignetConfig.load(text);
        } catch (SignetException e) {
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code(), e::getMessage);
            assertTrue(e.getMessage().contains("signet"), () -> "the error names the key or line: " + e.getMessage());
            return;
        }
        assertStartable(config);
    }

    /** The valid seeds load, so the assertions on a configuration are reached, not vacuous. */
    @Test
    void theValidSeedsLoad() throws Exception {
        for (String name : List.of("example", "delegated-postgres", "minimal")) {
            try (InputStream in = getClass().getResourceAsStream("SignetConfigFuzzTestInputs/load/" + name)) {
                assertStartable(SignetConfig.load(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
    }

    static void assertStartable(SignetConfig c) {
        assertTrue(c.issuer().startsWith("https://") || c.issuer().startsWith("http://"), c.issuer());
        assertEquals(c.issuer(), SignetConfig.issuer(c.issuer()));
        for (int port : new int[] {c.port(), c.adminPort()}) {
            assertTrue(port >= 0 && port <= 65535, "port " + port);
        }
        assertTrue(c.maxBodyBytes() > 0, "max-body-bytes " + c.maxBodyBytes());
        assertTrue(c.maxBatch() >= 1, "max-batch " + c.maxBatch());
        assertNotNull(c.rotation());
        assertNotNull(c.backendType());
        assertFalse(c.backendType().isBlank());
        assertFalse(c.minters().isEmpty());
        for (Minter m : c.minters()) {
            assertTrue(m.credential() != null || m.clientCertificate() != null, m.name());
            assertTrue(m.policy().maxTtl().isPositive(), m.name() + " max-ttl " + m.policy().maxTtl());
            assertTrue(m.policy().maxTtl().compareTo(c.rotation().maxTokenTtl()) <= 0, m.name());
        }
        assertTrue(c.adminCredential() != null || c.tls().adminClientCertificate() != null);
    }
}
