package dev.signet.spi;

import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** X.509 certificates built with BouncyCastle and signed by whichever provider holds the private key. */
public final class Certificates {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /**
     * A self-signed certificate for a key, signed through the key itself (one {@link SigningKey#sign} call).
     * Keystores need one beside every private key.
     */
    public static X509Certificate selfSigned(SigningKey key, String commonName, Instant notBefore, Duration validity) {
        X500Name name = new X500Name("CN=" + commonName);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, new BigInteger(127, RANDOM),
                time(notBefore), time(notBefore.plus(validity)), name, subjectPublicKeyInfo(key.publicKey()));
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new BackendContentSigner(key)));
        } catch (CertificateException | RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "cannot build a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    /**
     * A certificate for {@code subjectKey} signed by {@code issuer} through its backend (one backend call):
     * how a hardware-held master key vouches for a short-lived in-memory subkey, or for itself.
     *
     * @param issuerName the issuer's subject; equal to {@code subjectName} for a self-signed master certificate
     * @param ca         whether the certified key may certify others (the master) or only sign (a subkey)
     */
    public static X509Certificate issue(PublicKey subjectKey, String subjectName, SigningKey issuer, String issuerName,
                                        Instant notBefore, Instant notAfter, boolean ca) {
        try {
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(new X500Name(issuerName),
                    new BigInteger(127, RANDOM), time(notBefore), time(notAfter), new X500Name(subjectName),
                    subjectPublicKeyInfo(subjectKey));
            // RFC 5280 §4.2.1.1-2: strict validators (openssl -x509_strict, pyca/cryptography) require both key
            // identifiers; the subkey's AKI equals its master's SKI, both SHA-1 of the master's public key (method 1).
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(subjectKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    ids.createAuthorityKeyIdentifier(issuer.publicKey()));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                    ? KeyUsage.keyCertSign | KeyUsage.digitalSignature : KeyUsage.digitalSignature));
            return new JcaX509CertificateConverter().getCertificate(builder.build(new BackendContentSigner(issuer)));
        } catch (CertificateException | IOException | java.security.NoSuchAlgorithmException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot issue a certificate for " + subjectName, e);
        }
    }

    /**
     * An X.509 validity time (RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050), to the second.
     * Written out here because BouncyCastle's {@code Time(Date)} formats through {@code SimpleDateFormat}, whose
     * first use (calendar and locale providers) cost a daemon's first key more than the rest of its certificate.
     */
    static Time time(Instant instant) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        boolean utcTime = t.getYear() >= 1950 && t.getYear() < 2050;
        StringBuilder text = new StringBuilder(15);
        for (int field : new int[]{utcTime ? t.getYear() % 100 : t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond()}) {
            text.append(field < 10 ? "0" : "").append(field);
        }
        byte[] content = text.append('Z').toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] der = new byte[content.length + 2];
        der[0] = (byte) (utcTime ? 0x17 : 0x18); // UTCTime, GeneralizedTime
        der[1] = (byte) content.length;
        System.arraycopy(content, 0, der, 2, content.length);
        return new Time(utcTime ? ASN1UTCTime.getInstance(der) : ASN1GeneralizedTime.getInstance(der));
    }

    private static SubjectPublicKeyInfo subjectPublicKeyInfo(PublicKey key) {
        return SubjectPublicKeyInfo.getInstance(key.getEncoded());
    }

    /** Signs TBS certificates with a {@link SigningKey}, wherever its private part lives. */
    private static final class BackendContentSigner implements ContentSigner {
        private final SigningKey key;
        private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

        BackendContentSigner(SigningKey key) {
            this.key = key;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            // The finder's tables of every algorithm are built on first use; the three fixed ones need none of it.
            return switch (key.algorithm()) {
                case ES256 -> new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
                case EdDSA -> new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
                case RS256 -> new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE);
                case PS256 -> new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withRSAandMGF1");
            };
        }

        @Override
        public OutputStream getOutputStream() {
            return tbs;
        }

        @Override
        public byte[] getSignature() {
            byte[] jws = key.sign(tbs.toByteArray());
            return key.algorithm() == SigningAlgorithm.ES256 ? derEcdsa(jws) : jws;
        }
    }

    /** JWS ECDSA signatures are R‖S; X.509 wants SEQUENCE { INTEGER r, INTEGER s }. */
    public static byte[] derEcdsa(byte[] rs) {
        int half = rs.length / 2;
        try {
            return new DERSequence(new ASN1Integer[]{
                    new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, half))),
                    new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(rs, half, rs.length)))}).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
