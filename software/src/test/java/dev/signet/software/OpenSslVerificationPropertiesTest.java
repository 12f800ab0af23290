package dev.signet.software;

import dev.signet.spi.SignetException;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ES256 verification through OpenSSL answers as the JDK's SHA256withECDSAinP1363Format does, for seeded random
 * keys, messages and signatures tampered in every way a JWS signature can be; each tamper is tried on every 14th
 * case, and a failure names its seed (the seeded-case pattern of verifier's SeededCases; no jqwik). The JWS-level
 * comparison, through verifier's Signatures and Nimbus, is issuance's OpenSslSignaturesTest.
 */
class OpenSslVerificationPropertiesTest {

    private static final BigInteger N = new BigInteger(
            "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private static P256Verifier openssl;

    @BeforeAll
    static void loadLibcrypto() {
        String why = null;
        try {
            openssl = InMemorySigning.choose("openssl").p256Verifier().orElse(null);
        } catch (SignetException e) {
            why = e.getMessage();
        }
        RealBackends.require(openssl != null, "OpenSSL 3 libcrypto through FFM (" + why + ")",
                "apt-get install libssl3 and run on JDK 22 or newer");
    }

    enum Tamper { NONE, HIGH_S, FLIP_SIGNATURE_BIT, FLIP_MESSAGE_BIT, OTHER_KEY, TRUNCATE, EXTEND, R_ZERO, S_ZERO, R_N, S_N,
        R_N_PLUS, SWAP_R_S, RANDOM }

    @Test
    void agreesWithTheJdk() throws Exception {
        Tamper[] tampers = Tamper.values();
        for (int i = 0; i < 10 * tampers.length; i++) {
            long seed = 20261130L + i;
            try {
                agreesWithTheJdk(new Random(seed), tampers[i % tampers.length]);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private static void agreesWithTheJdk(Random random, Tamper tamper) throws Exception {
        long keySeed = random.nextLong();
        byte[] message = new byte[random.nextInt(600)];
        random.nextBytes(message);
        int where = random.nextInt(1024);
        KeyPair pair = pair(keySeed);
        KeyPair verifyWith = tamper == Tamper.OTHER_KEY ? pair(keySeed + 1) : pair;
        byte[] signature = sign(pair, message);
        byte[] data = message;
        switch (tamper) {
            case NONE, OTHER_KEY -> { }
            case HIGH_S -> put(signature, 32, N.subtract(new BigInteger(1, Arrays.copyOfRange(signature, 32, 64))));
            case FLIP_SIGNATURE_BIT -> signature[where % 64] ^= (byte) (1 << (where % 8));
            case FLIP_MESSAGE_BIT -> {
                data = message.length == 0 ? new byte[] {1} : message.clone();
                data[where % data.length] ^= (byte) (1 << (where % 8));
            }
            case TRUNCATE -> signature = Arrays.copyOf(signature, where % 64);
            case EXTEND -> signature = Arrays.copyOf(signature, 65 + where % 8);
            case R_ZERO -> put(signature, 0, BigInteger.ZERO);
            case S_ZERO -> put(signature, 32, BigInteger.ZERO);
            case R_N -> put(signature, 0, N);
            case S_N -> put(signature, 32, N);
            case R_N_PLUS -> put(signature, 0, N.add(new BigInteger(1, Arrays.copyOfRange(signature, 0, 32))).mod(BigInteger.TWO.pow(256)));
            case SWAP_R_S -> signature = concat(Arrays.copyOfRange(signature, 32, 64), Arrays.copyOfRange(signature, 0, 32));
            case RANDOM -> random.nextBytes(signature);
        }
        boolean jdk = jdkVerifies(verifyWith, data, signature);
        assertEquals(jdk, openssl.verify(x(verifyWith), y(verifyWith), data, signature), tamper + ": OpenSSL and the JDK disagree");
        if (tamper == Tamper.NONE || tamper == Tamper.HIGH_S) {
            assertTrue(jdk, tamper + " is a valid signature (JWS does not require low S)");
        }
    }

    @Test
    void refusesAPointOffTheCurve() throws Exception {
        KeyPair pair = pair(7);
        byte[] y = y(pair);
        y[31] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> openssl.verify(x(pair), y, new byte[1], new byte[64]));
        assertThrows(IllegalArgumentException.class, () -> openssl.verify(new byte[31], y(pair), new byte[1], new byte[64]));
    }

    @Test
    void manyKeysPastTheCacheStillVerify() throws Exception {
        byte[] message = "signet".getBytes();
        KeyPair first = pair(1);
        byte[] signature = sign(first, message);
        for (int i = 0; i < 64; i++) {
            KeyPair other = pair(1000 + i);
            assertTrue(openssl.verify(x(other), y(other), message, sign(other, message)));
        }
        assertTrue(openssl.verify(x(first), y(first), message, signature));
        assertFalse(openssl.verify(x(first), y(first), "signeT".getBytes(), signature));
    }

    private static KeyPair pair(long seed) throws GeneralSecurityException {
        SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(seed);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        return g.generateKeyPair();
    }

    private static byte[] sign(KeyPair pair, byte[] message) throws GeneralSecurityException {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(pair.getPrivate());
        s.update(message);
        return s.sign();
    }

    private static boolean jdkVerifies(KeyPair pair, byte[] message, byte[] signature) throws GeneralSecurityException {
        Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
        v.initVerify(pair.getPublic());
        v.update(message);
        try {
            return v.verify(signature);
        } catch (SignatureException e) {
            return false; // a malformed signature: Nimbus answers false too
        }
    }

    private static void put(byte[] signature, int offset, BigInteger value) {
        byte[] v = value.toByteArray();
        int n = Math.min(v.length, 32);
        Arrays.fill(signature, offset, offset + 32, (byte) 0);
        System.arraycopy(v, v.length - n, signature, offset + 32 - n, n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] x(KeyPair pair) {
        return coordinate(((ECPublicKey) pair.getPublic()).getW().getAffineX());
    }

    static byte[] y(KeyPair pair) {
        return coordinate(((ECPublicKey) pair.getPublic()).getW().getAffineY());
    }

    private static byte[] coordinate(BigInteger v) {
        byte[] out = new byte[32];
        put(out, 0, v);
        return out;
    }
}
