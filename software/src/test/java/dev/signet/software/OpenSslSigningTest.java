package dev.signet.software;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import com.nimbusds.jose.jwk.JWK;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenSSL in-memory signer against the real libcrypto, checked by the JDK's own verifiers. */
class OpenSslSigningTest {

    private static InMemorySigning.Choice openssl;

    @BeforeAll
    static void loadLibcrypto() {
        String why = null;
        try {
            openssl = InMemorySigning.choose("openssl");
        } catch (SignetException e) {
            why = e.getMessage();
        }
        RealBackends.require(openssl != null, "OpenSSL 3 libcrypto through FFM (" + why + ")",
                "apt-get install libssl3 and run on JDK 22 or newer");
    }

    private static byte[] input(int i) {
        return ("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudC0" + i + "In0").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean jdkVerifies(PublicKey key, SigningAlgorithm algorithm, byte[] input, byte[] signature)
            throws Exception {
        Signature v = Signature.getInstance(JcaSigningKey.jcaName(algorithm)); // ES256: SHA256withECDSAinP1363Format
        v.initVerify(key);
        v.update(input);
        return v.verify(signature);
    }

    private static KeyPair jdkPair(SigningAlgorithm algorithm) throws Exception {
        if (algorithm == SigningAlgorithm.EdDSA) {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void es256SignaturesAreRsConcatenationsTheJdkVerifies() throws Exception {
        SigningKey key = openssl.generate(SigningAlgorithm.ES256);
        assertTrue(key.getClass().getName().startsWith("dev.signet.software.openssl."), key.getClass().getName());
        for (int i = 0; i < 200; i++) {
            byte[] signature = key.sign(input(i));
            assertEquals(64, signature.length);
            assertTrue(jdkVerifies(key.publicKey(), SigningAlgorithm.ES256, input(i), signature), "signature " + i);
            assertFalse(jdkVerifies(key.publicKey(), SigningAlgorithm.ES256, input(i + 1), signature));
        }
    }

    @Test
    void ed25519SignaturesAreThoseTheJdkVerifies() throws Exception {
        SigningKey key = openssl.generate(SigningAlgorithm.EdDSA);
        for (int i = 0; i < 200; i++) {
            byte[] signature = key.sign(input(i));
            assertEquals(64, signature.length);
            assertTrue(jdkVerifies(key.publicKey(), SigningAlgorithm.EdDSA, input(i), signature), "signature " + i);
        }
        assertTrue(jdkVerifies(key.publicKey(), SigningAlgorithm.EdDSA, new byte[0], key.sign(new byte[0])));
    }

    @Test
    void aGeneratedKeyIsNamedByTheThumbprintOfAPublicKeyThatRoundTrips() throws Exception {
        for (SigningAlgorithm algorithm : List.of(SigningAlgorithm.ES256, SigningAlgorithm.EdDSA)) {
            SigningKey key = openssl.generate(algorithm);
            assertEquals(Jwks.thumbprint(key.publicKey(), algorithm), key.id());
            PublicKey reread = KeyFactory.getInstance(algorithm == SigningAlgorithm.ES256 ? "EC" : "Ed25519")
                    .generatePublic(new X509EncodedKeySpec(key.publicKey().getEncoded()));
            assertArrayEquals(key.publicKey().getEncoded(), reread.getEncoded());
            JWK jwk = Jwks.publicJwk(key);
            assertEquals(key.id(), jwk.getKeyID());
            assertEquals(key.id(), jwk.computeThumbprint().toString());
            assertFalse(jwk.isPrivate());
        }
        assertEquals(2, java.util.stream.Stream.generate(() -> openssl.generate(SigningAlgorithm.ES256).id())
                .limit(2).distinct().count(), "each generated key is new");
    }

    /** The software keystore stores what generateStorable hands out: it must be the same key, and sign alike. */
    @Test
    void aStorableKeysExportedPrivateKeyIsTheOneThatSignsAndSelfCertifies() throws Exception {
        for (SigningAlgorithm algorithm : List.of(SigningAlgorithm.ES256, SigningAlgorithm.EdDSA)) {
            NativeSigningLibrary.Generated generated = openssl.generateStorable(algorithm);
            SigningKey key = generated.key();
            assertTrue(key.getClass().getName().startsWith("dev.signet.software.openssl."), key.getClass().getName());
            assertEquals(key.publicKey(), generated.pair().getPublic());
            assertEquals("PKCS#8", generated.pair().getPrivate().getFormat());
            Signature jdk = Signature.getInstance(JcaSigningKey.jcaName(algorithm));
            jdk.initSign(generated.pair().getPrivate());
            jdk.update(input(3));
            assertTrue(jdkVerifies(key.publicKey(), algorithm, input(3), jdk.sign()), "the exported key is the key");
            SigningKey reloaded = openssl.key(key.id(), algorithm, key.publicKey(), generated.pair().getPrivate());
            assertTrue(jdkVerifies(key.publicKey(), algorithm, input(4), reloaded.sign(input(4))));
            java.security.cert.X509Certificate cert = dev.signet.spi.Certificates.selfSigned(key, "signet-alg-x",
                    java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.Duration.ofDays(1));
            cert.verify(key.publicKey());
            assertEquals("CN=signet-alg-x", cert.getSubjectX500Principal().getName());
            assertFalse(generated.toString().contains(HexFormat.of().formatHex(generated.pair().getPrivate().getEncoded())));
        }
    }

    @Test
    void anImportedKeySignsWhatTheBouncyCastlePathSignsWithTheSameKey() throws Exception {
        InMemorySigning.Choice bc = InMemorySigning.choose("bc");
        for (SigningAlgorithm algorithm : List.of(SigningAlgorithm.ES256, SigningAlgorithm.EdDSA)) {
            KeyPair pair = jdkPair(algorithm);
            SigningKey viaOpenSsl = openssl.key("kid-1", algorithm, pair.getPublic(), pair.getPrivate());
            SigningKey viaBc = bc.key("kid-1", algorithm, pair.getPublic(), pair.getPrivate());
            assertEquals(viaBc.publicKey(), viaOpenSsl.publicKey());
            byte[] a = viaOpenSsl.sign(input(1));
            byte[] b = viaBc.sign(input(1));
            assertTrue(jdkVerifies(pair.getPublic(), algorithm, input(1), a));
            assertTrue(jdkVerifies(pair.getPublic(), algorithm, input(1), b));
            if (algorithm == SigningAlgorithm.EdDSA) {
                assertArrayEquals(b, a, "Ed25519 is deterministic: both libraries must produce the same bytes");
            }
        }
    }

    @Test
    void oneKeySignsCorrectlyFromManyThreadsAtOnce() throws Exception {
        for (SigningAlgorithm algorithm : List.of(SigningAlgorithm.ES256, SigningAlgorithm.EdDSA)) {
            SigningKey key = openssl.generate(algorithm);
            List<Future<byte[][]>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
                for (int t = 0; t < 16; t++) {
                    int base = t * 1000;
                    results.add(pool.submit(() -> {
                        byte[][] out = new byte[250][];
                        for (int i = 0; i < out.length; i++) {
                            out[i] = key.sign(input(base + i));
                        }
                        return out;
                    }));
                }
            }
            for (int t = 0; t < results.size(); t++) {
                byte[][] signatures = results.get(t).get();
                for (int i = 0; i < signatures.length; i++) {
                    assertTrue(jdkVerifies(key.publicKey(), algorithm, input(t * 1000 + i), signatures[i]),
                            algorithm + " thread " + t + " signature " + i);
                }
            }
        }
    }

    @Test
    void keysDroppedByTheThousandAreFreedAndSigningGoesOn() throws Exception {
        SigningKey kept = openssl.generate(SigningAlgorithm.ES256);
        WeakReference<SigningKey> dropped = null;
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 1000; i++) {
                SigningAlgorithm algorithm = i % 2 == 0 ? SigningAlgorithm.ES256 : SigningAlgorithm.EdDSA;
                KeyPair pair = i % 4 < 2 ? null : jdkPair(algorithm);
                SigningKey key = pair == null ? openssl.generate(algorithm)
                        : openssl.key("k", algorithm, pair.getPublic(), pair.getPrivate());
                if (i % 4 < 2) {
                    key.sign(input(i)); // leaves a pooled context for the cleaner to free as well
                }
                dropped = new WeakReference<>(key);
            }
            System.gc();
            Thread.sleep(50);
            assertTrue(jdkVerifies(kept.publicKey(), SigningAlgorithm.ES256, input(round), kept.sign(input(round))));
        }
        for (int i = 0; i < 50 && dropped.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(dropped.get(), "a dropped key becomes unreachable, so the cleaner frees its EVP_PKEY");
        assertTrue(jdkVerifies(kept.publicKey(), SigningAlgorithm.ES256, input(7), kept.sign(input(7))));
    }

    @Test
    void aKeyOpenSslCannotReadIsAnInternalErrorWithOpenSslsReasonAndNoKeyBytes() throws Exception {
        PublicKey publicKey = jdkPair(SigningAlgorithm.EdDSA).getPublic();
        byte[] garbage = new byte[48];
        Arrays.fill(garbage, (byte) 0x5a);
        PrivateKey notPkcs8 = new PrivateKey() {
            public String getAlgorithm() {
                return "EC";
            }

            public String getFormat() {
                return "PKCS#8";
            }

            public byte[] getEncoded() {
                return garbage.clone();
            }
        };
        SignetException e = assertThrows(SignetException.class,
                () -> openssl.key("kid", SigningAlgorithm.EdDSA, publicKey, notPkcs8));
        assertEquals(SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().startsWith("OpenSSL d2i_AutoPrivateKey failed: error:"), e.getMessage());
        String hex = HexFormat.of().formatHex(garbage);
        assertFalse(e.getMessage().toLowerCase().contains(hex.substring(0, 16)), e.getMessage());
        assertEquals(64, openssl.generate(SigningAlgorithm.EdDSA).sign(input(0)).length, "the library keeps working");
    }

    @Test
    void anEs256KeyOffP256IsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = g.generateKeyPair();
        SignetException e = assertThrows(SignetException.class,
                () -> openssl.key("kid", SigningAlgorithm.ES256, p384.getPublic(), p384.getPrivate()));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
    }

    @Test
    void rsaStaysOnTheJdkEvenWhenOpenSslIsForced() {
        assertEquals("JDK", openssl.signer(SigningAlgorithm.PS256));
        assertTrue(openssl.signer(SigningAlgorithm.ES256).startsWith("OpenSSL 3."), openssl.signer(SigningAlgorithm.ES256));
        assertTrue(openssl.describe().contains("libcrypto"), openssl.describe());
    }

    @Test
    void autoUsesOpenSslWhereItMeasuredFaster() {
        InMemorySigning.Choice auto = InMemorySigning.choose("auto");
        assertEquals(openssl.signer(SigningAlgorithm.ES256), auto.signer(SigningAlgorithm.ES256));
        assertEquals("BouncyCastle", auto.signer(SigningAlgorithm.EdDSA));
        assertEquals("JDK", auto.signer(SigningAlgorithm.RS256));
    }
}
