package dev.signet.api;

import dev.signet.spi.testing.MutableClock;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delegated mode over HTTP: subkey tokens, x5c in the JWKS, and an independent chain-checking verifier. */
class DelegatedModeTest {

    @TempDir
    Path dataDir;
    TestDaemon signet;
    // The test clock starts in the past so that, after the lead passes, tokens are valid in real time.
    MutableClock clock = new MutableClock(Instant.now().minus(Duration.ofMinutes(64)));

    @BeforeEach
    void start() {
        signet = new TestDaemon(dataDir, Map.of("signet.mode", "delegated", "signet.delegation.lifetime", "PT1H"), clock);
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    String mint() {
        return (String) json(signet.mint(ALPHA, request("agent-3", "https://alpha.example", 600, "repo:alpha/x", "read"))).get("token");
    }

    @Test
    void subkeyTokensCarryAChainRootedInTheMasterKey() throws Exception {
        String first = SignedJWT.parse(mint()).getHeader().getKeyID();
        JWKSet jwks = JWKSet.parse(signet.get(signet.jwksUrl()).body());
        String masterKid = jwks.getKeys().stream().filter(k -> k.getX509CertChain() == null).findFirst().orElseThrow().getKeyID();
        assertNotEquals(masterKid, first, "a new issuer signs with its first subkey at once");
        assertEquals(3, jwks.getKeys().size(), "the master, the first subkey and its successor are published from the start");
        String scrape = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain").body();
        assertTrue(scrape.matches("(?s).*\nsignet_subkeys[^\n]* 2\\.0\n.*"), "two subkeys published: " + scrape);
        assertFalse(signet.daemon.keyRing().signingSlot().key().getClass().getName().contains("Metered"),
                "subkeys sign in memory, outside the backend's call metrics");

        for (int i = 0; i < 62; i++) {
            clock.advance(Duration.ofMinutes(1));
            signet.daemon.keyRing().tick();
        }
        String token = mint();
        String kid = SignedJWT.parse(token).getHeader().getKeyID();
        assertNotEquals(masterKid, kid);
        assertNotEquals(first, kid, "after its lifetime the first subkey's successor signs");
        assertEquals("ES256", SignedJWT.parse(token).getHeader().getAlgorithm().getName());
        JWK jwk = JWKSet.parse(signet.get(signet.jwksUrl()).body()).getKeyByKeyId(kid);
        assertEquals(2, jwk.getX509CertChain().size());
        assertTrue(JwsVerification.verifies(token, jwk));
        assertTrue(jwk.getX509CertSHA256Thumbprint() != null);

        Path interop = Path.of("src", "test", "interop");
        RealBackends.require(Files.isDirectory(interop.resolve("node_modules/jose")), "node jose",
                "run 'npm ci --prefix api/src/test/interop' (.ci/run does)");
        InteropVerifierTest.Run ok = InteropVerifierTest.run(List.of("node", "verify-x5c.mjs", signet.jwksUrl(),
                "https://signet.test", "https://alpha.example", token, masterKid));
        assertEquals(0, ok.exit(), ok.out());
        InteropVerifierTest.Run wrongPin = InteropVerifierTest.run(List.of("node", "verify-x5c.mjs", signet.jwksUrl(),
                "https://signet.test", "https://alpha.example", token, kid));
        assertNotEquals(0, wrongPin.exit(), "a chain not rooted in the pinned master is rejected");
        assertTrue(wrongPin.out().contains("pinned master"), wrongPin.out());
    }

    @Test
    void metadataListsTheAlgorithmsOfMasterAndSubkeys(@TempDir Path other) {
        try (TestDaemon eddsa = new TestDaemon(other, Map.of("signet.mode", "delegated",
                "signet.delegation.algorithm", "EdDSA"))) {
            Map<String, Object> doc = json(eddsa.get(eddsa.base() + "/.well-known/oauth-authorization-server"));
            assertEquals(List.of("ES256", "EdDSA"), doc.get("signet_token_signing_alg_values_supported"));
        }
    }

    /** An older Signet's subkey directory is not silently dropped (its subkeys' tokens would stop verifying). */
    @Test
    void anOldSubkeyDirectoryStopsTheStartWithTheFix(@TempDir Path other) throws Exception {
        Path issuerDir = other.resolve("rotation").resolve("issuer");
        Daemon.refuseOldSubkeyDirectory(issuerDir); // none: nothing to say
        Files.createDirectories(issuerDir.resolve("subkeys"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.signet.spi.SignetException.class,
                () -> Daemon.refuseOldSubkeyDirectory(issuerDir));
        assertEquals(dev.signet.spi.SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains(issuerDir.resolve("subkeys").toString()) && e.getMessage().contains("remove"),
                e.getMessage());
    }
}
