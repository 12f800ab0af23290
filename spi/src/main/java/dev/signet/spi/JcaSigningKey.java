package dev.signet.spi;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link SigningKey} over a JCA private key and provider. {@link Signature} objects are not
 * thread-safe and costly to create, so initialised ones are pooled rather than kept per thread
 * (request threads are virtual and short-lived).
 */
public class JcaSigningKey extends AbstractSigningKey {

    private final PrivateKey privateKey;
    private final Provider provider;
    private final String jcaName;
    private final ConcurrentLinkedQueue<Signature> pool = new ConcurrentLinkedQueue<>();

    /** @param provider the provider that holds the private key, or null for the JDK's default choice */
    public JcaSigningKey(String id, SigningAlgorithm algorithm, PublicKey publicKey, PrivateKey privateKey,
                         Provider provider) {
        this(id, algorithm, publicKey, privateKey, provider, jcaName(algorithm));
    }

    /**
     * @param jcaName the provider's name for a signature scheme that yields JWS signature bytes
     *                directly (for ECDSA the R‖S form)
     */
    public JcaSigningKey(String id, SigningAlgorithm algorithm, PublicKey publicKey, PrivateKey privateKey,
                         Provider provider, String jcaName) {
        super(id, algorithm, publicKey);
        this.privateKey = privateKey;
        this.provider = provider;
        this.jcaName = jcaName;
    }

    /** The private key handle, for backends that must sign other things (e.g. certificates) with it. */
    protected PrivateKey privateKey() {
        return privateKey;
    }

    @Override
    public byte[] sign(byte[] signingInput) {
        Signature s = pool.poll();
        try {
            if (s == null) {
                s = newSignature();
            }
            s.update(signingInput);
            byte[] sig = s.sign();
            pool.offer(s);
            return sig;
        } catch (GeneralSecurityException | RuntimeException e) {
            // A failed Signature may hold half-fed state: drop it rather than pool it.
            throw signingFailed(e);
        }
    }

    /** Maps a provider failure to a Signet error; backends override to classify device errors. */
    protected SignetException signingFailed(Exception e) {
        return new SignetException(SignetException.Code.INTERNAL,
                "signing with key " + id() + " failed: " + e.getClass().getSimpleName(), e);
    }

    /** Drops pooled {@link Signature} objects, e.g. after the backend's sessions were lost. */
    public void clearPool() {
        pool.clear();
    }

    private Signature newSignature() throws GeneralSecurityException {
        Signature s = provider == null ? Signature.getInstance(jcaName) : Signature.getInstance(jcaName, provider);
        if (algorithm() == SigningAlgorithm.PS256) {
            setPssParameters(s);
        }
        s.initSign(privateKey);
        return s;
    }

    /** The JCA name of the signature algorithm that produces JWS signature bytes directly. */
    public static String jcaName(SigningAlgorithm algorithm) {
        return switch (algorithm) {
            case ES256 -> "SHA256withECDSAinP1363Format";
            case EdDSA -> "Ed25519";
            case PS256 -> "RSASSA-PSS";
            case RS256 -> "SHA256withRSA";
        };
    }

    /**
     * Verifies JWS signature bytes exactly as a JOSE verifier would: PS256 with the RFC 7518 32-byte salt, which
     * also catches a device or emulator that signs PSS with another salt length.
     *
     * @throws SignetException INTERNAL if this JDK cannot verify the algorithm at all
     */
    public static boolean verifies(PublicKey key, SigningAlgorithm algorithm, byte[] input, byte[] jwsSignature) {
        try {
            Signature v = Signature.getInstance(jcaName(algorithm));
            if (algorithm == SigningAlgorithm.PS256) {
                setPssParameters(v);
            }
            v.initVerify(key);
            v.update(input);
            return v.verify(jwsSignature);
        } catch (java.security.SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot verify a " + algorithm + " signature", e);
        }
    }

    /** RFC 7518 §3.5: PS256 is PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt. */
    public static void setPssParameters(Signature s) throws InvalidAlgorithmParameterException {
        s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
    }
}
