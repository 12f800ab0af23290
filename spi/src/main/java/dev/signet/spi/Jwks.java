package dev.signet.spi;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;

/** Public keys as JWKs (RFC 7517) and their RFC 7638 thumbprints, which Signet uses as {@code kid}. */
public final class Jwks {

    /** An X.509 SubjectPublicKeyInfo for Ed25519 is a fixed 12-byte prefix and the 32-byte key. */
    private static final int ED25519_SPKI_PREFIX = 12;

    private Jwks() {
    }

    /**
     * The public JWK of a key, with {@code kid}, {@code alg} and {@code use=sig}; with {@code x5c} and
     * {@code x5t#S256} when the key has a certificate chain.
     */
    public static JWK publicJwk(SigningKey key) {
        List<X509Certificate> chain = key.certificateChain();
        if (chain.isEmpty()) {
            return publicJwk(key.publicKey(), key.algorithm(), key.id());
        }
        try {
            List<Base64> x5c = new ArrayList<>();
            for (X509Certificate c : chain) {
                x5c.add(Base64.encode(c.getEncoded()));
            }
            Base64URL x5t = Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(chain.getFirst().getEncoded()));
            JWSAlgorithm alg = JWSAlgorithm.parse(key.algorithm().jwsName());
            return switch (key.algorithm()) {
                case ES256 -> new ECKey.Builder(Curve.P_256, (ECPublicKey) key.publicKey()).keyUse(KeyUse.SIGNATURE)
                        .algorithm(alg).keyID(key.id()).x509CertChain(x5c).x509CertSHA256Thumbprint(x5t).build();
                case EdDSA -> new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(ed25519Raw(key.publicKey())))
                        .keyUse(KeyUse.SIGNATURE).algorithm(alg).keyID(key.id()).x509CertChain(x5c)
                        .x509CertSHA256Thumbprint(x5t).build();
                case PS256, RS256 -> new RSAKey.Builder((RSAPublicKey) key.publicKey()).keyUse(KeyUse.SIGNATURE)
                        .algorithm(alg).keyID(key.id()).x509CertChain(x5c).x509CertSHA256Thumbprint(x5t).build();
            };
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot publish the chain of key " + key.id(), e);
        }
    }

    /** @throws SignetException INVALID_ARGUMENT if the key type does not fit the algorithm */
    public static JWK publicJwk(PublicKey key, SigningAlgorithm algorithm, String kid) {
        JWSAlgorithm alg = JWSAlgorithm.parse(algorithm.jwsName());
        try {
            return switch (algorithm) {
                case ES256 -> new ECKey.Builder(Curve.P_256, (ECPublicKey) key)
                        .keyUse(KeyUse.SIGNATURE).algorithm(alg).keyID(kid).build();
                case EdDSA -> new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(ed25519Raw(key)))
                        .keyUse(KeyUse.SIGNATURE).algorithm(alg).keyID(kid).build();
                case PS256, RS256 -> new RSAKey.Builder((RSAPublicKey) key)
                        .keyUse(KeyUse.SIGNATURE).algorithm(alg).keyID(kid).build();
            };
        } catch (ClassCastException | IllegalArgumentException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "a " + key.getAlgorithm() + " key cannot be used for " + algorithm);
        }
    }

    /** The RFC 7638 SHA-256 thumbprint, base64url without padding. */
    public static String thumbprint(PublicKey key, SigningAlgorithm algorithm) {
        try {
            return publicJwk(key, algorithm, null).computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot compute JWK thumbprint", e);
        }
    }

    private static byte[] ed25519Raw(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (!"Ed25519".equals(key.getAlgorithm()) && !"EdDSA".equals(key.getAlgorithm()) || spki.length != 44) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
        return Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX, spki.length);
    }
}
