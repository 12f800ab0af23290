package dev.signet.client;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

/**
 * The two short JWTs an agent signs with its own key for a token exchange: the DPoP proof (RFC 9449) that it holds
 * the parent token's key, and the actor token that names the sub-agent and carries the key the child is bound to.
 * Each has a fresh {@code jti}: Signet refuses a replayed one, so build a new one per request.
 */
public final class Proofs {

    private Proofs() {
    }

    /**
     * A DPoP proof for {@code POST htu} with {@code ath} over {@code subjectToken} (Signet wants the proof to cover the
     * parent; see README, "Deviation from RFC 9449 §5").
     *
     * @param key the private key the subject token is bound to (EC P-256/384/521, RSA or Ed25519)
     */
    public static String dpop(JWK key, String htu, String subjectToken, Instant now) {
        return sign(key, "dpop+jwt", new JWTClaimsSet.Builder().claim("htm", "POST").claim("htu", htu)
                .issueTime(Date.from(now)).jwtID(UUID.randomUUID().toString()).claim("ath", ath(subjectToken)).build());
    }

    /** The sub-agent's actor token: {@code sub} = its id, {@code aud} = the issuer, its public key in the header. */
    public static String actorToken(JWK key, String actor, String issuer, Instant now) {
        return sign(key, "JWT", new JWTClaimsSet.Builder().subject(actor).audience(issuer)
                .issueTime(Date.from(now)).jwtID(UUID.randomUUID().toString()).build());
    }

    /** RFC 7638 SHA-256 thumbprint, base64url: what {@code cnf.jkt} holds. */
    public static String thumbprint(JWK key) {
        try {
            return key.toPublicJWK().computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot compute the key's thumbprint: " + e.getMessage(), e);
        }
    }

    static String ath(String accessToken) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(accessToken.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(JWK key, String typ, JWTClaimsSet claims) {
        if (!key.isPrivate()) {
            throw new IllegalArgumentException("a proof needs the private key");
        }
        JWSAlgorithm alg = algorithm(key);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(new JOSEObjectType(typ))
                .jwk(key.toPublicJWK()).build(), claims);
        try {
            jwt.sign(new DefaultJWSSignerFactory().createJWSSigner(key, alg));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    private static JWSAlgorithm algorithm(JWK key) {
        if (key.getAlgorithm() instanceof JWSAlgorithm a) {
            return a;
        }
        if (key instanceof ECKey ec) {
            return switch (ec.getCurve().getName()) {
                case "P-384" -> JWSAlgorithm.ES384;
                case "P-521" -> JWSAlgorithm.ES512;
                default -> JWSAlgorithm.ES256;
            };
        }
        return key.getKeyType() == KeyType.RSA ? JWSAlgorithm.PS256 : JWSAlgorithm.EdDSA;
    }
}
