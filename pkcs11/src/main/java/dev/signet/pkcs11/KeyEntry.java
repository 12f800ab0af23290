package dev.signet.pkcs11;

import dev.signet.spi.Certificates;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How a Signet key is kept on a token: a private key and a certificate under one label (CKA_LABEL = CKA_ID), the
 * label being the kid (the RFC 7638 thumbprint of the certificate's public key), the certificate's subject
 * {@code CN=signet-alg-<ALG>, O=<issuer>}. The CN records PS256 vs RS256, which an RSA key cannot; the O records
 * which issuer the key belongs to. Keys made before issuers were recorded have no O and count as the issuer's
 * that finds them (see pkcs11/README.md). Anything else on the token is not a Signet key and is left alone.
 *
 * @param issuer the issuer the certificate names, or empty for a key from before issuers were recorded
 */
record KeyEntry(String kid, SigningAlgorithm algorithm, PublicKey publicKey, Optional<String> issuer) {

    private static final System.Logger LOG = System.getLogger(KeyEntry.class.getName());
    static final String ALGORITHM_CN_PREFIX = "signet-alg-";
    private static final Duration CERT_VALIDITY = Duration.ofDays(3650);

    /** The certificate subject of a new key (RFC 4514, as {@link dev.signet.spi.Certificates} takes it). */
    static String subject(SigningAlgorithm algorithm, String issuer) {
        return "CN=" + ALGORITHM_CN_PREFIX + algorithm.name() + ",O=" + Rdn.escapeValue(issuer);
    }

    /** A new key's certificate, self-signed on the token: the certificate's signature is the key's first. */
    static X509Certificate certificate(PublicKey publicKey, SigningAlgorithm algorithm, String subject,
                                       TokenClient.Signer signer, Instant now) {
        SigningKey self = new SelfSigner(Jwks.thumbprint(publicKey, algorithm), algorithm, publicKey, signer);
        return Certificates.issue(publicKey, subject, self, subject, now, now.plus(CERT_VALIDITY), false);
    }

    /** The new key as {@link Certificates#issue} takes a signer. */
    private record SelfSigner(String id, SigningAlgorithm algorithm, PublicKey publicKey, TokenClient.Signer signer)
            implements SigningKey {
        @Override
        public byte[] sign(byte[] signingInput) {
            return signer.sign(signingInput);
        }
    }

    /**
     * The Signet key in an entry, or empty if the entry is not one: the subject names no algorithm, or the label is
     * not the thumbprint of the certificate's public key (logged: a key must never answer for another kid).
     */
    static Optional<KeyEntry> read(String label, X509Certificate certificate) {
        String algorithmName = null;
        String issuer = null;
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String cn
                        && cn.startsWith(ALGORITHM_CN_PREFIX)) {
                    algorithmName = cn.substring(ALGORITHM_CN_PREFIX.length());
                } else if (rdn.getType().equalsIgnoreCase("O") && rdn.getValue() instanceof String o) {
                    issuer = o;
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (algorithmName == null) {
            return Optional.empty();
        }
        SigningAlgorithm algorithm;
        try {
            algorithm = SigningAlgorithm.parse(algorithmName);
        } catch (SignetException e) {
            return Optional.empty();
        }
        PublicKey pub = certificate.getPublicKey();
        String kid = Jwks.thumbprint(pub, algorithm);
        if (!kid.equals(label)) {
            LOG.log(System.Logger.Level.WARNING, "token entry {0} is not labelled with its key''s thumbprint; ignored",
                    label);
            return Optional.empty();
        }
        return Optional.of(new KeyEntry(kid, algorithm, pub, Optional.ofNullable(issuer)));
    }

    /** This issuer's key: it names the issuer, or predates recorded issuers (so an existing issuer is never missed). */
    boolean belongsTo(String issuer) {
        return this.issuer.map(issuer::equals).orElse(true);
    }
}
