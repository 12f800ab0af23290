package dev.signet.kms;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertTrue(JcaSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, INPUT, pss(pair, 32)));
        assertFalse(JcaSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, INPUT, pss(pair, 256 - 32 - 2)));
        assertFalse(JcaSigningKey.verifies(pair.getPublic(), SigningAlgorithm.PS256, "other".getBytes(),
                pss(pair, 32)));
    }

    @Test
    void garbageIsAFailedVerificationNotAnError() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair pair = g.generateKeyPair();
        assertFalse(JcaSigningKey.verifies(pair.getPublic(), SigningAlgorithm.ES256, INPUT, new byte[64]));
        assertFalse(JcaSigningKey.verifies(pair.getPublic(), SigningAlgorithm.ES256, INPUT, new byte[3]));
    }

    @Test
    void spkiPublicKeysAsKmsReturnsThemParseAndVerifyForEveryAlgorithm() throws Exception {
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            KeyPairGenerator g = KeyPairGenerator.getInstance(switch (alg) {
                case ES256 -> "EC";
                case EdDSA -> "Ed25519";
                case PS256, RS256 -> "RSA";
            });
            if (alg == SigningAlgorithm.ES256) {
                g.initialize(new ECGenParameterSpec("secp256r1"));
            }
            KeyPair pair = g.generateKeyPair();
            PublicKey parsed = KeyLoader.parsePublicKey(pair.getPublic().getEncoded(), alg);
            assertEquals(Jwks.thumbprint(pair.getPublic(), alg), Jwks.thumbprint(parsed, alg), alg.name());
            Signature s = Signature.getInstance(JcaSigningKey.jcaName(alg));
            if (alg == SigningAlgorithm.PS256) {
                JcaSigningKey.setPssParameters(s);
            }
            s.initSign(pair.getPrivate());
            s.update(INPUT);
            assertTrue(JcaSigningKey.verifies(parsed, alg, INPUT, s.sign()), alg.name());
        }
    }

    @Test
    void aKeyOfTheWrongTypeIsRefused() throws Exception {
        byte[] rsaSpki = KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic().getEncoded();
        assertEquals(SignetException.Code.INTERNAL, assertThrows(SignetException.class,
                () -> KeyLoader.parsePublicKey(rsaSpki, SigningAlgorithm.ES256)).code());
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        byte[] p384Spki = p384.generateKeyPair().getPublic().getEncoded();
        assertEquals(SignetException.Code.INTERNAL, assertThrows(SignetException.class,
                () -> KeyLoader.parsePublicKey(p384Spki, SigningAlgorithm.ES256)).code());
    }
}
