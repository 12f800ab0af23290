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
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** pyca/cryptography's RFC 5280 verifier with its CA rules; the subkey certificate is no TLS certificate (no SAN, EKU). */
    private static final String PYCA = """
            import sys, datetime
            from cryptography import x509
            from cryptography.x509.verification import PolicyBuilder, Store, ExtensionPolicy
            master = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
            leaf = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
            ee = ExtensionPolicy.permit_all()
            verifier = (PolicyBuilder().store(Store([master])).time(datetime.datetime.now(datetime.timezone.utc))
                        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
                        .build_client_verifier())
            verifier.verify(leaf, [])
            print('OK')
            """;

    static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), String.join(" ", command));
        return "exit " + p.exitValue() + ": " + out.strip();
    }

    static Path pem(Path file, X509Certificate cert) throws Exception {
        return java.nio.file.Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    @Test
    void theDelegationChainPassesStrictRfc5280PathValidation() throws Exception {
        dev.signet.spi.testing.RealBackends.require(runs("openssl", "version"), "the openssl CLI",
                "apt-get install openssl");
        boolean pyca = runs("python3", "-c", "import cryptography.x509.verification");
        if (!pyca) {
            System.err.println("*** SKIPPED (part): pyca/cryptography's verifier is not importable by python3;"
                    + " pip install 'cryptography>=45' ***");
        }
        Path script = java.nio.file.Files.writeString(dir.resolve("verify.py"), PYCA);
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC());
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            SigningKey master = backend.generate(alg);
            String masterName = "CN=signet master " + master.id();
            X509Certificate masterCert = Certificates.issue(master.publicKey(), masterName, master, masterName,
                    now.minusSeconds(60), now.plusSeconds(7200), true);
            for (String subAlg : List.of("EC", "Ed25519")) {
                KeyPair sub = KeyPairGenerator.getInstance(subAlg).generateKeyPair();
                X509Certificate subCert = Certificates.issue(sub.getPublic(), "CN=signet subkey", master, masterName,
                        now.minusSeconds(60), now.plusSeconds(3600), false);
                String what = alg + " master, " + subAlg + " subkey";
                Path masterPem = pem(dir.resolve("master.pem"), masterCert);
                Path subPem = pem(dir.resolve("sub.pem"), subCert);
                assertEquals("exit 0: " + subPem + ": OK", run("openssl", "verify", "-x509_strict", "-CAfile",
                        masterPem.toString(), subPem.toString()), what);

                assertArrayEquals(java.util.Arrays.copyOfRange(masterCert.getExtensionValue("2.5.29.14"), 4, 24),
                        java.util.Arrays.copyOfRange(subCert.getExtensionValue("2.5.29.35"), 6, 26),
                        what + ": the subkey's authority key id is the master's subject key id");

                java.security.cert.CertPathValidator.getInstance("PKIX").validate(
                        java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(List.of(subCert)),
                        pkix(masterCert));

                // pyca/cryptography follows the Web PKI's algorithms: RSA and ECDSA signatures and keys only.
                if (pyca && alg != SigningAlgorithm.EdDSA && subAlg.equals("EC")) {
                    assertEquals("exit 0: OK", run("python3", script.toString(), masterPem.toString(),
                            subPem.toString()), what);
                }
            }
        }
    }

    static java.security.cert.PKIXParameters pkix(X509Certificate anchor) throws Exception {
        java.security.cert.PKIXParameters params = new java.security.cert.PKIXParameters(
                java.util.Set.of(new java.security.cert.TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        return params;
    }
}
