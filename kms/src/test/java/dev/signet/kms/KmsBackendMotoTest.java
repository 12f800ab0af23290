package dev.signet.kms;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KMS backend against moto_server, opened through ServiceLoader as the daemon opens it, with the emulator
 * process under the test's control (stopped, restarted with its keys lost, SIGSTOPped), plus moto's known
 * deviations from KMS, pinned so that a moto upgrade that fixes them is noticed.
 */
class KmsBackendMotoTest extends KmsBackendTestBase {

    @RegisterExtension
    static final MotoServer MOTO = new MotoServer();

    @Override
    protected URI endpoint() {
        return MOTO.endpoint();
    }

    @Override
    protected KmsAdmin newAdmin() {
        return sdkAdmin(() -> {
            MOTO.stop();
            MOTO.start();
        });
    }

    @Override
    protected void peerDown() {
        MOTO.stop();
    }

    @Override
    protected void peerUp() throws Exception {
        MOTO.start();
    }

    @Override
    protected void freeze() throws Exception {
        MOTO.freeze();
    }

    @Override
    protected void thaw() throws Exception {
        MOTO.thaw();
    }

    /** moto signs with disabled keys and keys pending deletion: see {@link #motoSignsWithADisabledKey()}. */
    @Override
    protected boolean peerEnforcesKeyState() {
        return false;
    }

    /** moto has no Ed25519 keys and signs PSS with the wrong salt length; see the two quirk tests. */
    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256);
    }

    /** The provider schedules the key check itself: a disabled signing key shows without anyone calling it. */
    @Test
    void theProviderRunsTheKeyCheckOnItsOwn() throws Exception {
        try (KmsKeyBackend b = openWith(Map.of("key-check-interval", "200ms"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            key.sign(INPUT);
            admin().disable(((KmsSigningKey) key).keyArn());
            Instant deadline = Instant.now().plus(HANG_DEADLINE);
            while (b.degraded().isEmpty()) {
                assertTrue(Instant.now().isBefore(deadline), "no key check within " + HANG_DEADLINE);
                Thread.sleep(50);
            }
            assertTrue(b.degraded().get().contains("Disabled"), b.degraded().get());
        }
    }

    @Test
    void motoSignsWithADisabledKey() {
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        admin().disable(((KmsSigningKey) key).keyArn());
        assertTrue(JcaSigningKey.verifies(key.publicKey(), key.algorithm(), INPUT, key.sign(INPUT)),
                "KMS would refuse with DisabledException; the key check is what notices here");
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
        int before = admin().keyCount();
        try (KmsKeyBackend b = openWith(Map.of("algorithms", "EdDSA"))) {
            SignetException e = assertThrows(SignetException.class, () -> b.generate(SigningAlgorithm.EdDSA));
            assertEquals(SignetException.Code.INTERNAL, e.code());
            assertTrue(e.getMessage().contains("ValidationException"), e.getMessage());
        }
        assertEquals(before, admin().keyCount());
    }

    /** A wrapping key by alias: created once, found again by any replica, refused when it is not symmetric. */
    @Test
    void aWrappingKeyIsCreatedUnderItsAliasAndUnwrapsWhatAnyReplicaWrapped() throws Exception {
        String alias = "alias/signet-wrap-" + java.util.UUID.randomUUID();
        var missing = assertThrows(SignetException.class, () -> backend.wrappingKey(alias, false));
        assertEquals(SignetException.Code.NOT_FOUND, missing.code());
        assertTrue(missing.getMessage().contains(alias), missing.getMessage());

        dev.signet.spi.WrappingKey created = backend.wrappingKey(alias, true);
        byte[] secret = java.security.KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();
        byte[] wrapped = created.wrap(secret);
        assertFalse(java.util.Arrays.equals(secret, wrapped));
        assertEquals(-1, indexOf(wrapped, java.util.Arrays.copyOfRange(secret, secret.length - 32, secret.length)),
                "the private part is not in the wrapped bytes in clear");
        try (KmsKeyBackend replica = openWith(Map.of())) {
            dev.signet.spi.WrappingKey found = replica.wrappingKey(alias, false);
            assertEquals(alias, found.id());
            assertTrue(java.util.Arrays.equals(secret, found.unwrap(wrapped)), "another replica unwraps it");
            dev.signet.spi.WrappingKey other = replica.wrappingKey(alias + "-other", true);
            assertThrows(SignetException.class, () -> other.unwrap(wrapped), "another wrapping key cannot");
        }
        SigningKey signing = backend.generate(SigningAlgorithm.ES256);
        var notSymmetric = assertThrows(SignetException.class,
                () -> backend.wrappingKey(((KmsSigningKey) signing).keyArn(), false));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, notSymmetric.code());
    }

    /** What the store keeps of a subkey is useless without KMS: unwrapping needs the backend. */
    @Test
    void aWrappedSubkeyCannotBeUsedWithoutTheBackend() throws Exception {
        dev.signet.spi.WrappingKey key = backend.wrappingKey("alias/signet-wrap-" + java.util.UUID.randomUUID(), true);
        byte[] secret = java.security.KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();
        byte[] wrapped = key.wrap(secret);
        assertThrows(Exception.class, () -> java.security.KeyFactory.getInstance("EC")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(wrapped)), "not a key without unwrapping");
        MOTO.stop();
        try {
            SignetException e = assertThrows(SignetException.class, () -> key.unwrap(wrapped));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        } finally {
            MOTO.start();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
