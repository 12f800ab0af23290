package dev.signet.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;

import java.security.Key;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks one JWS signature with one public JWK; only the asymmetric algorithms Signet and DPoP use. */
public final class Signatures {

    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519,
            JWSAlgorithm.PS256, JWSAlgorithm.RS256);
    private static final DefaultJWSVerifierFactory FACTORY = new DefaultJWSVerifierFactory();
    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+");

    /**
     * Whether {@code text} is a compact JWS spelled one way only: three unpadded base64url segments, the signature's
     * without stray low bits. Nimbus also reads whitespace, padding and such bits, which would give one signed token
     * many spellings (and as many token hashes, {@code ath} values and replay-cache keys).
     */
    public static boolean canonical(String text, JWSObject jws) {
        return text != null && COMPACT.matcher(text).matches()
                && Base64URL.encode(jws.getSignature().decode()).toString().equals(jws.getSignature().toString());
    }

    private Signatures() {
    }

    /** @throws Rejected {@code unsupported_alg} or {@code bad_signature} */
    public static void verify(JWSObject jws, JWK key, String what) {
        JWSAlgorithm alg = jws.getHeader().getAlgorithm();
        if (!ALGORITHMS.contains(alg)) {
            throw new Rejected("unsupported_alg", what + " is signed with " + alg + "; accepted: ES256, EdDSA, PS256, RS256");
        }
        if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())
                && !(alg.equals(JWSAlgorithm.Ed25519) && key.getAlgorithm().equals(JWSAlgorithm.EdDSA))) {
            throw new Rejected("bad_signature", what + " names " + alg + " but its key is for " + key.getAlgorithm());
        }
        boolean valid;
        try {
            if (key instanceof OctetKeyPair okp) {
                // Nimbus verifies Ed25519 through Tink; without Tink on the class path EdDSA is refused below.
                valid = jws.verify(new com.nimbusds.jose.crypto.Ed25519Verifier(okp.toPublicJWK()));
            } else {
                Key publicKey = ((AsymmetricJWK) key).toPublicKey();
                valid = jws.verify(FACTORY.createJWSVerifier(jws.getHeader(), publicKey));
            }
        } catch (JOSEException | ClassCastException | IllegalStateException | NoClassDefFoundError e) {
            throw new Rejected("bad_signature", what + ": the signature cannot be checked with its key ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (!valid) {
            throw new Rejected("bad_signature", what + ": the signature does not verify");
        }
    }
}
