package dev.signet.pkcs11;

import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.PrivateKey;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Private keys made by the backend cannot leave the token: asked of the provider and of the token itself. */
class Pkcs11NonExtractabilityTest {

    private static SoftHsm.Token token;

    @BeforeAll
    static void token() throws Exception {
        SoftHsm.require();
        token = SoftHsm.initToken("extract");
    }

    @Test
    void theProviderHasNoEncodingOfThePrivateKeys() {
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 0)) {
            for (SigningAlgorithm alg : backend.algorithms()) {
                SigningKey key = backend.generate(alg);
                PrivateKey priv = backend.tokenPrivateKey(key.id());
                assertNull(priv.getEncoded(), alg + " private key must have no encoding");
                // SunPKCS11 describes the object's CKA_TOKEN / CKA_SENSITIVE / CKA_EXTRACTABLE.
                assertTrue(priv.toString().contains("token object, sensitive, unextractable"), priv.toString());
            }
        }
    }

    @Test
    void theTokenReportsSensitiveNeverExtractableSignOnlyKeys() throws Exception {
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 0)) {
            backend.generate(SigningAlgorithm.ES256);
            backend.generate(SigningAlgorithm.RS256);
        }
        String out = SoftHsm.run("pkcs11-tool", "--module", SoftHsm.library().orElseThrow().toString(),
                "--token-label", token.label(), "--login", "--pin", token.pin(), "--list-objects", "--type", "privkey");
        List<String> access = out.lines().filter(l -> l.strip().startsWith("Access:")).toList();
        List<String> usage = out.lines().filter(l -> l.strip().startsWith("Usage:")).toList();
        assertEquals(2, access.size(), out);
        for (String line : access) {
            assertTrue(line.contains("sensitive") && line.contains("always sensitive")
                    && line.contains("never extractable") && line.contains("local"), line);
            assertTrue(!line.contains(" extractable") || line.contains("never extractable"), line);
        }
        for (String line : usage) {
            // Sign only: no decrypt, unwrap or derive.
            assertEquals("Usage:      sign", line.strip(), out);
        }
    }

}
