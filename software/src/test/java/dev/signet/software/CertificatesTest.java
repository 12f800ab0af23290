package dev.signet.software;

import dev.signet.spi.Jwks;

import dev.signet.spi.Certificates;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import com.nimbusds.jose.jwk.JWK;
import dev.signet.software.SoftwareKeyBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CertificatesTest {

    @TempDir
    Path dir;

    @Test
    void aBackendKeyCertifiesItselfAndASubkeyForEveryAlgorithm() throws Exception {
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC());
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        KeyPair sub = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            SigningKey master = backend.generate(alg);
            X509Certificate masterCert = Certificates.issue(master.publicKey(), "CN=master", master, "CN=master",
                    now, now.plusSeconds(3600), true);
            masterCert.verify(master.publicKey());
            assertEquals(Integer.MAX_VALUE, masterCert.getBasicConstraints(), alg + " master is a CA");

            X509Certificate subCert = Certificates.issue(sub.getPublic(), "CN=sub", master, "CN=master",
                    now, now.plusSeconds(600), false);
            subCert.verify(masterCert.getPublicKey());
            assertEquals(-1, subCert.getBasicConstraints(), "a subkey certifies nothing");
            assertEquals(now.plusSeconds(600), subCert.getNotAfter().toInstant());
            assertArrayEquals(sub.getPublic().getEncoded(), subCert.getPublicKey().getEncoded());
            java.security.PublicKey otherMaster = backend.generate(alg).publicKey();
            assertThrows(java.security.GeneralSecurityException.class, () -> subCert.verify(otherMaster),
                    "only the master's key verifies the subkey certificate");
        }
    }

    @Test
    void jwksCarryTheChainAndItsThumbprint() throws Exception {
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC());
        SigningKey master = backend.generate(SigningAlgorithm.ES256);
        SigningKey leaf = backend.generate(SigningAlgorithm.EdDSA);
        Instant now = Instant.now();
        X509Certificate masterCert = Certificates.issue(master.publicKey(), "CN=m", master, "CN=m", now, now.plusSeconds(60), true);
        X509Certificate leafCert = Certificates.issue(leaf.publicKey(), "CN=l", master, "CN=m", now, now.plusSeconds(60), false);
        SigningKey chained = new SigningKey() {
            public String id() { return leaf.id(); }
            public SigningAlgorithm algorithm() { return leaf.algorithm(); }
            public java.security.PublicKey publicKey() { return leaf.publicKey(); }
            public byte[] sign(byte[] in) { return leaf.sign(in); }
            public List<X509Certificate> certificateChain() { return List.of(leafCert, masterCert); }
        };
        JWK jwk = Jwks.publicJwk(chained);
        assertEquals(2, jwk.getX509CertChain().size());
        assertArrayEquals(leafCert.getEncoded(), jwk.getX509CertChain().get(0).decode());
        assertArrayEquals(masterCert.getEncoded(), jwk.getX509CertChain().get(1).decode());
        assertArrayEquals(java.security.MessageDigest.getInstance("SHA-256").digest(leafCert.getEncoded()),
                jwk.getX509CertSHA256Thumbprint().decode());
        assertEquals(leaf.id(), jwk.getKeyID());
    }

    @Test
    void derTranscodingKeepsLeadingZeroIntegersPositive() {
        byte[] rs = new byte[64];
        rs[0] = (byte) 0x80; // high bit set: DER needs a leading zero byte
        rs[63] = 1;
        byte[] der = Certificates.derEcdsa(rs);
        assertEquals(0x30, der[0]);
        assertEquals(0x02, der[2]);
        assertEquals(33, der[3], "r gets a 0x00 pad");
    }
}
