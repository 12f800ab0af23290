package dev.signet.signer;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** X.509 certificates built with BouncyCastle and signed by whichever provider holds the private key. */
public final class Certificates {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /**
     * A self-signed certificate for a key pair. Keystores need one beside every private key;
     * the signature is computed by {@code provider}, so for a token it is computed on the token.
     *
     * @param provider the provider holding {@code privateKey}, or null for the JDK default
     */
    public static X509Certificate selfSigned(PublicKey publicKey, PrivateKey privateKey, Provider provider,
                                             SigningAlgorithm algorithm, String commonName,
                                             Instant notBefore, Duration validity) {
        X500Name name = new X500Name("CN=" + commonName);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, RANDOM),
                Date.from(notBefore), Date.from(notBefore.plus(validity)), name, publicKey);
        try {
            JcaContentSignerBuilder sb = new JcaContentSignerBuilder(x509SignatureName(algorithm));
            if (provider != null) {
                sb.setProvider(provider);
            }
            ContentSigner signer = sb.build(privateKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException | CertificateException | RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "cannot build a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    /** X.509 wants DER ECDSA signatures, unlike JWS. RSA keys sign certificates with PKCS#1 v1.5 either way. */
    static String x509SignatureName(SigningAlgorithm algorithm) {
        return switch (algorithm) {
            case ES256 -> "SHA256withECDSA";
            case EdDSA -> "Ed25519";
            case PS256, RS256 -> "SHA256withRSA";
        };
    }
}
