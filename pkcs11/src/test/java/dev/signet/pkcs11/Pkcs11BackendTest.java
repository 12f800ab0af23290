package dev.signet.pkcs11;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackends;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend contract against a real SoftHSM2 token, plus what is particular to PKCS#11. */
class Pkcs11BackendTest extends Pkcs11Contract {

    private static SoftHsm.Token token;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void token() throws Exception {
        SoftHsm.require();
        token = SoftHsm.initToken("contract");
    }

    @Override
    protected KeyBackend open(String issuer) {
        // Through the ServiceLoader, as the daemon opens it.
        return KeyBackends.open("pkcs11", token.settings(dataDir, issuer));
    }

    @Override
    protected TokenClient.Session session() throws Exception {
        TokenClient client = new SunPkcs11Client(SoftHsm.library().orElseThrow().toString());
        return client.login(client.tokens().stream().filter(t -> t.label().equals(token.label())).findFirst()
                .orElseThrow(), token.pin().toCharArray());
    }

    @Override
    protected List<String> secrets() {
        return List.of(token.pin(), token.soPin());
    }

    @Test
    void isHardwareProtected() {
        assertEquals("pkcs11", backend.type());
        assertTrue(backend.hardwareProtected());
        assertTrue(backend.degraded().isEmpty());
    }

    @Test
    void edDsaIsRefusedSayingWhy() {
        SignetException e = assertThrows(SignetException.class, () -> backend.generate(SigningAlgorithm.EdDSA));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("EdDSA") && e.getMessage().contains("SunPKCS11"), e.getMessage());
    }

    @Test
    void pssAndPkcs1KeysKeepTheirAlgorithmAcrossRestarts() {
        SigningKey pss = backend.generate(SigningAlgorithm.PS256);
        SigningKey pkcs1 = backend.generate(SigningAlgorithm.RS256);
        backend.close();
        backend = open();
        assertEquals(SigningAlgorithm.PS256, backend.get(pss.id()).algorithm());
        assertEquals(SigningAlgorithm.RS256, backend.get(pkcs1.id()).algorithm());
        assertTrue(dev.signet.spi.testing.JwsVerification.verifies(
                signCompact(backend.get(pss.id()), "{}"), dev.signet.spi.Jwks.publicJwk(pss)));
    }

    @Test
    void aPinWrittenInTheConfigurationIsRefused() {
        Map<String, String> values = new HashMap<>(token.settings(dataDir).values());
        values.remove("pin-env");
        values.put("pin", token.pin());
        SignetException e = assertThrows(SignetException.class, () -> KeyBackends.open("pkcs11",
                new BackendSettings(values, dataDir, "https://issuer.test", java.time.Clock.systemUTC(), k -> null)));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertFalse(e.getMessage().contains(token.pin()));
    }

    @Test
    void anUnknownLabelFailsAtStartUp() {
        Map<String, String> values = new HashMap<>(token.settings(dataDir).values());
        values.put("token-label", "no-such-token");
        SignetException e = assertThrows(SignetException.class, () -> KeyBackends.open("pkcs11",
                new BackendSettings(values, dataDir, "i", java.time.Clock.systemUTC(), Map.of("TEST_PIN", "x")::get)));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("no-such-token"), e.getMessage());
    }

    @Test
    void aWrongPinFailsAtStartUpWithoutShowingIt() throws Exception {
        // Its own token, so failed logins cannot lock the contract token.
        SoftHsm.Token other = SoftHsm.initToken("wrong-pin");
        String wrong = "wrong-" + other.pin();
        Map<String, String> values = new HashMap<>(other.settings(dataDir).values());
        SignetException e = assertThrows(SignetException.class, () -> KeyBackends.open("pkcs11",
                new BackendSettings(values, dataDir, "i", java.time.Clock.systemUTC(), Map.of("TEST_PIN", wrong)::get)));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("PIN"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), "the message must not show the PIN");
    }
}
