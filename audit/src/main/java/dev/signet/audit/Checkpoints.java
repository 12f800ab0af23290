package dev.signet.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.Jwks;
import dev.signet.spi.SigningKey;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoints and key links as compact JWS. Each has its own {@code typ} and carries no token claims
 * ({@code iss}, {@code aud}, {@code exp}, ...), so neither can pass for an access token.
 */
final class Checkpoints {

    static final String CHECKPOINT_TYPE = "signet-audit-checkpoint+jwt";
    static final String LINK_TYPE = "signet-audit-keylink+jwt";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private Checkpoints() {
    }

    /** A checkpoint over the chain head: the hash of the record before it, and its own sequence number. */
    static String checkpoint(SigningKey key, String replica, long seq, String head, String time) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("replica", replica);
        payload.put("seq", seq);
        payload.put("head", head);
        payload.put("time", time);
        payload.put("jwk", Jwks.publicJwk(key.publicKey(), key.algorithm(), key.id()).toJSONObject());
        return sign(key, CHECKPOINT_TYPE, payload);
    }

    /** Signed by the key that signed checkpoints so far, naming the key that signs them from now on. */
    static String link(SigningKey from, SigningKey to, String replica, long seq, String head, String time) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("replica", replica);
        payload.put("seq", seq);
        payload.put("head", head);
        payload.put("time", time);
        payload.put("from", from.id());
        payload.put("to", to.id());
        payload.put("to_jwk", Jwks.publicJwk(to.publicKey(), to.algorithm(), to.id()).toJSONObject());
        return sign(from, LINK_TYPE, payload);
    }

    private static String sign(SigningKey key, String typ, Map<String, Object> payload) {
        String header = "{\"alg\":\"" + key.algorithm().jwsName() + "\",\"kid\":\"" + key.id() + "\",\"typ\":\""
                + typ + "\"}";
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + '.'
                + B64.encodeToString(JSONObjectUtils.toJSONString(payload).getBytes(StandardCharsets.UTF_8));
        return input + '.' + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
    }

    /** A parsed JWS whose signature checked out against {@code jwk}, or an explanation of why not. */
    record Checked(Map<String, Object> payload, String kid, String problem) {
        boolean ok() {
            return problem == null;
        }
    }

    /**
     * Checks the JWS's type and signature. With {@code jwk} null, the key is the payload's own {@code jwk}
     * (trust on first use: the caller decides whether that key is the pinned one).
     */
    static Checked verify(String jws, String expectedType, JWK jwk) {
        try {
            JWSObject object = JWSObject.parse(jws);
            if (!new JOSEObjectType(expectedType).equals(object.getHeader().getType())) {
                return new Checked(null, null, "typ is " + object.getHeader().getType() + ", not " + expectedType);
            }
            Map<String, Object> payload = object.getPayload().toJSONObject();
            if (payload == null) {
                return new Checked(null, null, "payload is not a JSON object");
            }
            JWK key = jwk;
            if (key == null) {
                Map<String, Object> own = JSONObjectUtils.getJSONObject(payload, "jwk");
                if (own == null) {
                    return new Checked(null, null, "checkpoint carries no jwk");
                }
                key = JWK.parse(own);
            }
            String kid = object.getHeader().getKeyID();
            if (kid == null || !kid.equals(key.computeThumbprint().toString())) {
                return new Checked(payload, kid, "kid " + kid + " is not the thumbprint of the verifying key");
            }
            boolean ok = switch (key) {
                case ECKey ec -> object.verify(new ECDSAVerifier(ec));
                case OctetKeyPair okp -> object.verify(new Ed25519Verifier(okp));
                case RSAKey rsa -> object.verify(new RSASSAVerifier(rsa));
                default -> false;
            };
            return ok ? new Checked(payload, kid, null) : new Checked(payload, kid, "signature does not verify");
        } catch (ParseException | JOSEException | RuntimeException e) {
            return new Checked(null, null, "not a valid JWS: " + e.getMessage());
        }
    }
}
