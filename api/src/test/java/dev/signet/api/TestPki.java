package dev.signet.api;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Test certificates made with BouncyCastle: CAs, server certificates, X.509-SVIDs and plain client certificates. */
final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    /** A key and its certificate (chain leaf first, CA last). */
    record Issued(KeyPair keys, List<X509Certificate> chain) {
        X509Certificate cert() {
            return chain.getFirst();
        }

        void writePem(Path certFile, Path keyFile) throws IOException {
            Files.writeString(certFile, pem(chain.toArray()));
            Files.writeString(keyFile, pkcs8Pem(keys));
        }

        /** A client context presenting this certificate and trusting {@code serverCa}. */
        SSLContext clientContext(Issued serverCa) {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("me", keys.getPrivate(), "x".toCharArray(), chain.toArray(X509Certificate[]::new));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
                kmf.init(ks, "x".toCharArray());
                var km = (javax.net.ssl.X509ExtendedKeyManager) kmf.getKeyManagers()[0];
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(new javax.net.ssl.KeyManager[] {new AlwaysPresent(km)}, trusting(serverCa).getTrustManagers(),
                        null);
                return ctx;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Presents the certificate even when the server did not list its issuer, as an attacker's client would (the
     * JDK's own key manager would quietly send none).
     */
    private static final class AlwaysPresent extends javax.net.ssl.X509ExtendedKeyManager {
        private final javax.net.ssl.X509ExtendedKeyManager km;

        AlwaysPresent(javax.net.ssl.X509ExtendedKeyManager km) {
            this.km = km;
        }

        public String[] getClientAliases(String t, java.security.Principal[] i) {
            return new String[] {"me"};
        }

        public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) {
            return java.util.Arrays.asList(t).contains("EC") ? "me" : null;
        }

        @Override
        public String chooseEngineClientAlias(String[] t, java.security.Principal[] i, javax.net.ssl.SSLEngine e) {
            return chooseClientAlias(t, i, null);
        }

        public String[] getServerAliases(String t, java.security.Principal[] i) {
            return null;
        }

        public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) {
            return null;
        }

        public X509Certificate[] getCertificateChain(String alias) {
            return km.getCertificateChain(alias);
        }

        public java.security.PrivateKey getPrivateKey(String alias) {
            return km.getPrivateKey(alias);
        }
    }

    static Issued ca(String cn) {
        KeyPair kp = ecKeys();
        return new Issued(kp, List.of(build(cn, kp, null, true, List.of(), Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(365)), null)));
    }

    static Issued server(Issued ca, String cn, Duration validity) {
        return leaf(ca, cn, List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")), Instant.now().minusSeconds(60),
                Instant.now().plus(validity), KeyPurposeId.id_kp_serverAuth);
    }

    /** An X.509-SVID, or with several URIs a certificate that is not one. */
    static Issued svid(Issued ca, String... spiffeIds) {
        List<GeneralName> sans = new ArrayList<>();
        for (String id : spiffeIds) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, id));
        }
        return leaf(ca, "workload", sans, Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofDays(1)),
                KeyPurposeId.id_kp_clientAuth);
    }

    static Issued client(Issued ca, String cn, Instant notBefore, Instant notAfter) {
        return leaf(ca, cn, List.of(), notBefore, notAfter, KeyPurposeId.id_kp_clientAuth);
    }

    private static Issued leaf(Issued ca, String cn, List<GeneralName> sans, Instant from, Instant to,
                               KeyPurposeId purpose) {
        KeyPair kp = ecKeys();
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(build(cn, kp, ca, false, sans, from, to, purpose));
        chain.add(ca.cert());
        return new Issued(kp, chain);
    }

    private static X509Certificate build(String cn, KeyPair kp, Issued issuer, boolean isCa, List<GeneralName> sans,
                                         Instant from, Instant to, KeyPurposeId purpose) {
        try {
            // Through the JDK, so the text is read as RFC 4514 (last RDN first in the encoding), as openssl writes it.
            X500Name subject = X500Name.getInstance(new javax.security.auth.x500.X500Principal(
                    cn.contains("=") ? cn : "CN=" + cn).getEncoded());
            X500Name issuerName = issuer == null ? subject
                    : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
            var b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.incrementAndGet()),
                    Date.from(from), Date.from(to), subject, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            if (purpose != null) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            }
            var signer = new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(issuer == null ? kp.getPrivate() : issuer.keys().getPrivate());
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static TrustManagerFactory trusting(Issued ca) {
        try {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("ca", ca.cert());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ts);
            return tmf;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A client context that presents no certificate. */
    static SSLContext trustOnly(Issued serverCa) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, trusting(serverCa).getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** {@code BEGIN PRIVATE KEY}, what cert-manager and step-ca write. */
    static String pkcs8Pem(KeyPair keys) {
        try {
            return pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null).generate());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String pem(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toString();
    }

    private static KeyPair ecKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private TestPki() {
    }
}
