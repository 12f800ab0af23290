package dev.signet.kms;

import dev.signet.signer.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local check that stands between a KMS (or emulator) signature and a token. */
class KmsSigningKeyTest {

    private static final byte[] INPUT = "header.claims".getBytes();

    private static byte[] pss(KeyPair pair, int saltLength) throws Exception {
        Signature s = Signature.getInstance("RSASSA-PSS");
        s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, saltLength, 1));
        s.initSign(pair.getPrivate());
        s.update(INPUT);
        return s.sign();
    }

    @Test
    void ps256AcceptsTheRfc7518SaltOnlyNotMotosMaximumSalt() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair pair = g.generateKeyPair();
        assertTrue(KmsSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, INPUT, pss(pair, 32)));
        assertFalse(KmsSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, INPUT, pss(pair, 256 - 32 - 2)));
        assertFalse(KmsSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, "other".getBytes(),
                pss(pair, 32)));
    }

    @Test
    void garbageIsAFailedVerificationNotAnError() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair pair = g.generateKeyPair();
        assertFalse(KmsSigningKey.verifies(pair.getPublic(), SigningAlgorithm.ES256, INPUT, new byte[64]));
        assertFalse(KmsSigningKey.verifies(pair.getPublic(), SigningAlgorithm.ES256, INPUT, new byte[3]));
    }
}
