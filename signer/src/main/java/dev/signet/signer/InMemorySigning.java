package dev.signet.signer;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;

/**
 * The fastest measured signer for keys held in this process (see BENCHMARKS.md): BouncyCastle for
 * ES256 (≈1.8× SunEC) and Ed25519 (≈18× SunEC), the JDK for RSA. BouncyCastle is used as a provider
 * instance, never registered globally.
 */
public final class InMemorySigning {

    private static final Provider BC = new BouncyCastleProvider();

    private InMemorySigning() {
    }

    /** A signing key over an in-memory private key, using the fastest provider for its algorithm. */
    public static JcaSigningKey key(String id, SigningAlgorithm algorithm, PublicKey publicKey, PrivateKey privateKey) {
        return switch (algorithm) {
            case ES256 -> new JcaSigningKey(id, algorithm, publicKey, toBc("EC", privateKey), BC, "SHA256withPLAIN-ECDSA");
            case EdDSA -> new JcaSigningKey(id, algorithm, publicKey, toBc("Ed25519", privateKey), BC, "Ed25519");
            case PS256, RS256 -> new JcaSigningKey(id, algorithm, publicKey, privateKey, null);
        };
    }

    private static PrivateKey toBc(String keyAlgorithm, PrivateKey key) {
        try {
            return KeyFactory.getInstance(keyAlgorithm, BC).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot load a " + keyAlgorithm + " key", e);
        }
    }
}
