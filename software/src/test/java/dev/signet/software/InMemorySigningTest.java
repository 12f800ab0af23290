package dev.signet.software;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing the in-memory signer; the OpenSSL signer itself is tested in {@link OpenSslSigningTest}. */
class InMemorySigningTest {

    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.e30".getBytes(StandardCharsets.US_ASCII);

    @Test
    void forcedBcSignsTheCurveAlgorithmsWithBouncyCastle() throws Exception {
        InMemorySigning.Choice bc = InMemorySigning.choose(" BC ");
        for (SigningAlgorithm algorithm : EnumSet.allOf(SigningAlgorithm.class)) {
            SigningKey key = bc.generate(algorithm);
            assertInstanceOf(JcaSigningKey.class, key);
            assertEquals(Jwks.thumbprint(key.publicKey(), algorithm), key.id());
            Signature v = Signature.getInstance(JcaSigningKey.jcaName(algorithm));
            if (algorithm == SigningAlgorithm.PS256) {
                JcaSigningKey.setPssParameters(v);
            }
            v.initVerify(key.publicKey());
            v.update(INPUT);
            assertTrue(v.verify(key.sign(INPUT)), algorithm.name());
        }
        assertEquals("BouncyCastle", bc.signer(SigningAlgorithm.ES256));
        assertEquals("BouncyCastle", bc.signer(SigningAlgorithm.EdDSA));
        assertEquals("JDK", bc.signer(SigningAlgorithm.RS256));
        assertTrue(bc.describe().endsWith("(" + InMemorySigning.ENV + "=bc)"), bc.describe());
    }

    @Test
    void autoIsTheDefaultAndAlwaysYieldsASigner() {
        assertEquals(InMemorySigning.choose("auto").describe(), InMemorySigning.choose(null).describe());
        assertEquals(InMemorySigning.choose("auto").describe(), InMemorySigning.choose("").describe());
        // With libcrypto: OpenSSL for ES256; without: BouncyCastle and the reason. Never an exception.
        SigningKey key = InMemorySigning.choose("auto").generate(SigningAlgorithm.ES256);
        assertEquals(64, key.sign(INPUT).length);
    }

    /** A daemon prepares on a thread of its own while its main thread may already make the first key. */
    @Test
    void preparingOnAnotherThreadWhileAKeyIsMadeLeavesBothWorking() throws Exception {
        Thread preparing = Thread.ofPlatform().start(() -> InMemorySigning.prepare(true));
        SigningKey key = InMemorySigning.choice().generateStorable(SigningAlgorithm.ES256).key();
        preparing.join(java.time.Duration.ofSeconds(60));
        assertTrue(!preparing.isAlive(), "prepare did not finish");
        InMemorySigning.prepare(true); // again: nothing left to do, nothing thrown
        Signature v = Signature.getInstance(JcaSigningKey.jcaName(SigningAlgorithm.ES256));
        v.initVerify(key.publicKey());
        v.update(INPUT);
        assertTrue(v.verify(key.sign(INPUT)));
    }

    @Test
    void anUnknownSettingIsRefusedNotIgnored() {
        SignetException e = assertThrows(SignetException.class, () -> InMemorySigning.choose("openssl3"));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(InMemorySigning.ENV), e.getMessage());
    }
}
