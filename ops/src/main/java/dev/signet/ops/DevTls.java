package dev.signet.ops;

import dev.signet.spi.StateFiles;
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
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * {@code signet dev --tls}: a throwaway CA, a server certificate for {@code localhost} / {@code 127.0.0.1} and a
 * minter client certificate (an X.509-SVID for {@link #MINTER_ID}) under {@code <data-dir>/tls/}, made once and
 * kept across restarts. The CA's key is never written: nothing else can be issued under it.
 */
public final class DevTls {  // public for ops/bench's TLS load test

    public static final String TRUST_DOMAIN = "signet.dev";
    public static final String MINTER_ID = "spiffe://" + TRUST_DOMAIN + "/minter/dev";

    public record Files5(Path dir, Path ca, Path server, Path serverKey, Path minter, Path minterKey) {
    }

    private DevTls() {
    }

    static Files5 paths(Path dataDir) {
        Path d = dataDir.resolve("tls");
        return new Files5(d, d.resolve("ca.pem"), d.resolve("server.pem"), d.resolve("server-key.pem"),
                d.resolve("minter.pem"), d.resolve("minter-key.pem"));
    }

    /** Makes the files unless all are there; directory 0700, files 0600. */
    public static Files5 ensure(Path dataDir) throws IOException {
        Files5 f = paths(dataDir);
        if (Files.exists(f.ca()) && Files.exists(f.server()) && Files.exists(f.serverKey())
                && Files.exists(f.minter()) && Files.exists(f.minterKey())) {
            return f;
        }
        StateFiles.createDirectories(f.dir());
        Files.setPosixFilePermissions(f.dir(), PosixFilePermissions.fromString("rwx------"));
        try {
            KeyPair caKeys = ecKeys();
            X500Name caName = new X500Name("CN=signet dev CA (throwaway)");
            Instant now = Instant.now();
            X509Certificate ca = sign(caName, caKeys, caName, caKeys, true, null, null, now, Duration.ofDays(3650));
            KeyPair serverKeys = ecKeys();
            X509Certificate server = sign(new X500Name("CN=localhost"), serverKeys, caName, caKeys, false,
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}),
                    KeyPurposeId.id_kp_serverAuth, now, Duration.ofDays(825));
            KeyPair minterKeys = ecKeys();
            X509Certificate minter = sign(new X500Name("CN=signet dev minter"), minterKeys, caName, caKeys, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, MINTER_ID)),
                    KeyPurposeId.id_kp_clientAuth, now, Duration.ofDays(825));
            write(f.ca(), pem(ca));
            write(f.server(), pem(server, ca));
            write(f.serverKey(), pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null).generate()));
            write(f.minter(), pem(minter, ca));
            write(f.minterKey(), pem(new JcaPKCS8Generator(minterKeys.getPrivate(), null).generate()));
            return f;
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IOException("cannot make the dev certificates: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X500Name subject, KeyPair keys, X500Name issuer, KeyPair issuerKeys,
                                        boolean ca, GeneralNames sans, KeyPurposeId purpose, Instant now,
                                        Duration validity)
            throws IOException, GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        var b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(128, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        b.addExtension(Extension.keyUsage, true,
                new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
        if (sans != null) {
            b.addExtension(Extension.subjectAlternativeName, false, sans);
        }
        if (purpose != null) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static String pem(Object... objects) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        }
        return out.toString();
    }

    private static void write(Path file, String text) throws IOException {
        StateFiles.writeString(file, text);
    }
}
