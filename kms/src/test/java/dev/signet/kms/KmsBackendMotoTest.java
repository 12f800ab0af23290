package dev.signet.kms;

import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KMS backend against moto_server, plus what needs control of the emulator process (outage, hang) and
 * moto's known deviations from KMS, pinned so that a moto upgrade that fixes them is noticed.
 */
class KmsBackendMotoTest extends KmsBackendTestBase {

    @RegisterExtension
    static final MotoServer MOTO = new MotoServer();

    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".getBytes(StandardCharsets.US_ASCII);

    @Override
    protected URI endpoint() {
        return MOTO.endpoint();
    }

    /** moto has no Ed25519 keys and signs PSS with the wrong salt length; see the two quirk tests. */
    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256);
    }

    @Test
    void motoSignsPs256WithAMaximumLengthSaltWhichJoseVerifiersRefuse() throws Exception {
        try (KmsKeyBackend checked = openWith(Map.of("algorithms", "PS256"));
             KmsKeyBackend unchecked = openWith(Map.of("algorithms", "PS256", "verify-signatures", "false"))) {
            SigningKey key = checked.generate(SigningAlgorithm.PS256);
            SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            assertEquals(SignetException.Code.INTERNAL, e.code(), "our local check catches the bad salt");

            SigningKey raw = unchecked.get(key.id());
            String compact = signCompact(raw, "{\"sub\":\"pss\"}");
            assertFalse(JwsVerification.verifies(compact, Jwks.publicJwk(key)), "Nimbus (32-byte salt) refuses it");
            byte[] sig = raw.sign(INPUT);
            int emLen = (((RSAPublicKey) key.publicKey()).getModulus().bitLength() + 7) / 8;
            Signature maxSalt = Signature.getInstance("RSASSA-PSS");
            maxSalt.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, emLen - 32 - 2, 1));
            maxSalt.initVerify(key.publicKey());
            maxSalt.update(INPUT);
            assertTrue(maxSalt.verify(sig), "the diagnosis: moto's salt is emLen - hLen - 2 bytes");
        }
    }

    @Test
    void motoRefusesEd25519Keys() {
        int before = kmsKeyCount();
        try (KmsKeyBackend b = openWith(Map.of("algorithms", "EdDSA"))) {
            SignetException e = assertThrows(SignetException.class, () -> b.generate(SigningAlgorithm.EdDSA));
            assertEquals(SignetException.Code.INTERNAL, e.code());
            assertTrue(e.getMessage().contains("ValidationException"), e.getMessage());
        }
        assertEquals(before, kmsKeyCount());
    }

    @Test
    void anOutageOpensTheCircuitFailsFastAndRecoversWhenKmsReturns() throws Exception {
        try (KmsKeyBackend b = openWith(Map.of("breaker-failures", "3", "breaker-cool-down", "30s"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            MOTO.stop();
            try {
                for (int i = 0; i < 3; i++) {
                    SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
                    assertEquals(SignetException.Code.UNAVAILABLE, e.code());
                    assertTrue(e.retryAfter().isPresent());
                }
                assertTrue(b.degraded().orElseThrow().contains("circuit open"));
            } finally {
                MOTO.start();
            }
            // KMS is back but the cool-down has not passed: no request goes out.
            SignetException open = assertThrows(SignetException.class, () -> b.generate(SigningAlgorithm.ES256));
            assertEquals(SignetException.Code.UNAVAILABLE, open.code());
            assertEquals(Duration.ofSeconds(30), open.retryAfter().orElseThrow());
            assertTrue(open.getMessage().contains("circuit open"), open.getMessage());

            clock.advance(Duration.ofSeconds(30));
            SigningKey fresh = b.generate(SigningAlgorithm.ES256);
            assertTrue(b.degraded().isEmpty());
            assertTrue(JwsVerification.verifies(signCompact(fresh, "{\"sub\":\"recovered\"}"), Jwks.publicJwk(fresh)));
            // moto keeps keys in memory: the restarted one never heard of the old key, and says so.
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> key.sign(INPUT)).code());
        }
    }

    @Test
    void aHungKmsIsCutOffAtTheCallTimeout() throws Exception {
        try (KmsKeyBackend b = openWith(Map.of("call-timeout", "500ms"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            MOTO.freeze();
            long started = System.nanoTime();
            SignetException e;
            try {
                e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            } finally {
                MOTO.thaw();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(took.compareTo(Duration.ofMillis(1500)) < 0, "waited " + took);
            assertTrue(KmsSigningKey.verifies(key.publicKey(), key.algorithm(), INPUT, key.sign(INPUT)));
        }
    }
}
