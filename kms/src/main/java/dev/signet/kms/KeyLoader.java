package dev.signet.kms;

import com.nimbusds.jose.jwk.Curve;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a KMS key becomes a {@link KmsSigningKey} Signet will sign with: its public key, key spec and usage must fit
 * the algorithm, and a key found by alias must carry this issuer's tags and hash to the kid in the alias. Anything
 * else is NOT_FOUND: an alias re-pointed to a foreign key is never signed with.
 */
final class KeyLoader {

    private final KmsApi kms;
    private final KmsCalls calls;
    private final AliasScheme aliases;
    private final KeyHealth health;
    private final KmsOptions options;

    KeyLoader(KmsApi kms, KmsCalls calls, AliasScheme aliases, KeyHealth health, KmsOptions options) {
        this.kms = kms;
        this.calls = calls;
        this.aliases = aliases;
        this.health = health;
        this.options = options;
    }

    /** A key just created, by its KMS key id (no alias yet). */
    KmsSigningKey load(String keyId, SigningAlgorithm algorithm) {
        return fromPublicKey(calls.call("GetPublicKey", () -> kms.getPublicKey(keyId)), algorithm);
    }

    /** Loads the key an alias points to and checks that tags, algorithm and thumbprint all agree with the alias. */
    KmsSigningKey loadAliased(String kid) {
        String alias = aliases.alias(kid);
        KmsApi.PublicKeyInfo pub;
        try {
            pub = calls.call("GetPublicKey", () -> kms.getPublicKey(alias));
        } catch (SignetException e) {
            if (e.code() == SignetException.Code.NOT_FOUND) {
                throw notFound(kid);
            }
            Optional<String> unusable = KmsCalls.keyUnusable(e);
            if (unusable.isPresent()) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "KMS key " + kid + " " + unusable.get()
                        + "; enable it (or cancel its deletion), or delete its alias " + alias
                        + " so that rotation replaces it", options.keyCheckInterval(), e);
            }
            throw e;
        }
        Map<String, String> tags = tags(kms, calls, pub.keyArn());
        String alg = tags.get(AliasScheme.TAG_ALG);
        if (!aliases.slug().equals(tags.get(AliasScheme.TAG_ISSUER)) || alg == null) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " points to a key without this issuer's"
                    + " signet tags; refusing to use it");
        }
        SigningAlgorithm algorithm;
        try {
            algorithm = SigningAlgorithm.parse(alg);
        } catch (SignetException e) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " has an unknown signet:alg " + alg);
        }
        KmsSigningKey key = fromPublicKey(pub, algorithm);
        if (!key.id().equals(kid)) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " points to a key whose thumbprint is "
                    + key.id() + "; refusing to use it");
        }
        return key;
    }

    private KmsSigningKey fromPublicKey(KmsApi.PublicKeyInfo pub, SigningAlgorithm algorithm) {
        if (!keySpec(algorithm).toString().equals(pub.keySpec()) || pub.usage() != KeyUsageType.SIGN_VERIFY) {
            throw new SignetException(SignetException.Code.NOT_FOUND, "KMS key " + pub.keyArn() + " is "
                    + pub.keySpec() + "/" + pub.usage() + ", not a " + algorithm + " signing key");
        }
        PublicKey publicKey = parsePublicKey(pub.spki(), algorithm);
        return new KmsSigningKey(Jwks.thumbprint(publicKey, algorithm), algorithm, publicKey, pub.keyArn(), kms, calls,
                health, options.verifySignatures());
    }

    static PublicKey parsePublicKey(byte[] spki, SigningAlgorithm algorithm) {
        String type = switch (algorithm) {
            case ES256 -> "EC";
            case EdDSA -> "Ed25519";
            case PS256, RS256 -> "RSA";
        };
        try {
            PublicKey key = KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(spki));
            // The key spec was checked already; this guards the thumbprint code against a lying peer.
            boolean fits = switch (key) {
                case ECPublicKey ec -> Curve.forECParameterSpec(ec.getParams()) == Curve.P_256;
                case RSAPublicKey rsa -> rsa.getModulus().bitLength() >= 2048;
                default -> algorithm == SigningAlgorithm.EdDSA;
            };
            if (!fits) {
                throw new SignetException(SignetException.Code.INTERNAL, "KMS returned a public key that does not fit "
                        + algorithm);
            }
            return key;
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "KMS returned an unreadable " + algorithm
                    + " public key", e);
        }
    }

    static KeySpec keySpec(SigningAlgorithm algorithm) {
        return switch (algorithm) {
            case ES256 -> KeySpec.ECC_NIST_P256;
            case EdDSA -> KeySpec.ECC_NIST_EDWARDS25519;
            case PS256, RS256 -> KeySpec.RSA_2048;
        };
    }

    /** A key's tags, all pages. */
    static Map<String, String> tags(KmsApi kms, KmsCalls calls, String keyId) {
        Map<String, String> tags = new HashMap<>();
        calls.all("ListResourceTags", m -> kms.listResourceTags(keyId, m))
                .forEach(t -> tags.put(t.tagKey(), t.tagValue()));
        return tags;
    }

    static SignetException notFound(String id) {
        return new SignetException(SignetException.Code.NOT_FOUND, "no KMS key " + id + " for this issuer");
    }
}
