package dev.signet.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.text.ParseException;
import java.util.Map;
import java.util.Set;

/**
 * Checks one JWS signature with one public JWK; only the asymmetric algorithms Signet and DPoP use. The static
 * {@link #verify} is the JDK's (through Nimbus); an instance made {@link #withEs256} hands ES256 signatures on P-256
 * keys to another implementation (the daemon's OpenSSL one) with the same answers, and everything else to the JDK.
 */
public final class Signatures {

    /**
     * An ES256 check: the public point's 32-byte coordinates, the signing input, and the 64-byte R || S signature.
     * It must answer as the JDK does (R and S in [1, n-1], high S valid); a RuntimeException counts as unverifiable.
     */
    @FunctionalInterface
    public interface Es256 {
        boolean verify(byte[] x, byte[] y, byte[] signingInput, byte[] signature);
    }

    private static final Signatures JDK = new Signatures(null, "JDK (Nimbus)");
    private static final int P256_COORDINATE = 32;

    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519,
            JWSAlgorithm.PS256, JWSAlgorithm.RS256);
    private static final DefaultJWSVerifierFactory FACTORY = new DefaultJWSVerifierFactory();

    /**
     * Whether {@code text} is a compact JWS spelled one way only: three unpadded base64url segments, the signature's
     * without stray low bits. Nimbus also reads whitespace, padding and such bits, which would give one signed token
     * many spellings (and as many token hashes, {@code ath} values and replay-cache keys).
     */
    public static boolean canonical(String text, JWSObject jws) {
        return text != null && compact(text)
                && Base64URL.encode(decode(jws.getSignature())).toString().equals(jws.getSignature().toString());
    }

    /**
     * The bytes Nimbus' {@link Base64URL#decode} gives, through the JDK's decoder when it accepts the text (unpadded or
     * correctly padded base64url: the same bytes; both ignore a last character's unused bits) and through Nimbus'
     * otherwise. Nimbus' decoder was a few percent of an exchange (payloads, coordinates, signatures).
     */
    public static byte[] decode(Base64URL text) {
        try {
            return java.util.Base64.getUrlDecoder().decode(text.toString());
        } catch (IllegalArgumentException e) {
            return text.decode();
        }
    }

    /**
     * Nimbus's {@code JWSObject.parse}, but a refusal is always a {@link ParseException}: Nimbus throws a
     * NullPointerException for some malformed headers (one that is JSON {@code null}, or starts with it), which
     * callers must treat as the malformed input it is, never as a server error.
     */
    public static JWSObject parseJws(String text) throws ParseException {
        try {
            return JWSObject.parse(text);
        } catch (RuntimeException e) {
            throw new ParseException("not a compact JWS: " + e.getClass().getSimpleName(), 0);
        }
    }

    /** {@link #parseJws} for a JWT: Nimbus's {@code SignedJWT.parse}, every refusal a {@link ParseException}. */
    public static SignedJWT parseJwt(String text) throws ParseException {
        try {
            return SignedJWT.parse(text);
        } catch (RuntimeException e) {
            throw new ParseException("not a compact JWS: " + e.getClass().getSimpleName(), 0);
        }
    }

    /**
     * The JWS payload as a JSON object, or null when it is not one: {@code jws.getPayload().toJSONObject()} of a
     * parsed JWS, decoded by {@link #decode}.
     */
    public static Map<String, Object> payloadJson(JWSObject jws) {
        Base64URL[] parts = jws.getParsedParts();
        if (parts == null || parts.length != 3 || parts[1] == null) {
            return jws.getPayload().toJSONObject();
        }
        try {
            return JSONObjectUtils.parse(new String(decode(parts[1]), StandardCharsets.UTF_8));
        } catch (ParseException e) {
            return null;
        }
    }

    /** {@code jwt.getJWTClaimsSet()} with the payload decoded by {@link #decode}; the same answers and errors. */
    public static JWTClaimsSet claims(SignedJWT jwt) throws ParseException {
        Map<String, Object> json = payloadJson(jwt);
        if (json == null) {
            throw new ParseException("Payload of JWS object is not a valid JSON object", 0);
        }
        return JWTClaimsSet.parse(json);
    }

    /** The base64url alphabet by character: a table read beats five range tests per character of a token. */
    private static final boolean[] BASE64URL = new boolean[128];

    static {
        for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray()) {
            BASE64URL[c] = true;
        }
    }

    /**
     * {@code [A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+} as one pass over the characters: the regex was a tenth
     * of a parent token's verification outside the signature (a token is about 1 KB).
     */
    static boolean compact(String text) {
        int dots = 0;
        int segment = 0; // characters in the current segment
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.') {
                if (++dots > 2 || (dots == 1 && segment == 0)) {
                    return false;
                }
                segment = 0;
            } else if (c < 128 && BASE64URL[c]) {
                segment++;
            } else {
                return false;
            }
        }
        return dots == 2 && segment > 0;
    }

    private final Es256 es256;
    private final String description;

    private Signatures(Es256 es256, String description) {
        this.es256 = es256;
        this.description = description;
    }

    /** The JDK for every algorithm, as {@link #verify}. */
    public static Signatures jdk() {
        return JDK;
    }

    /**
     * ES256 on P-256 keys through {@code es256} (null: the JDK too), the rest through the JDK; {@code description}
     * names who checks ES256.
     */
    public static Signatures withEs256(Es256 es256, String description) {
        return new Signatures(es256, description);
    }

    /** Who checks ES256 signatures, for logs and metrics. */
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return "Signatures[ES256: " + description + "]";
    }

    /** The JDK's check. @throws Rejected {@code unsupported_alg} or {@code bad_signature} */
    public static void verify(JWSObject jws, JWK key, String what) {
        JDK.check(jws, key, what);
    }

    /** @throws Rejected {@code unsupported_alg} or {@code bad_signature} */
    public void check(JWSObject jws, JWK key, String what) {
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
            if (es256 != null && alg.equals(JWSAlgorithm.ES256) && key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())
                    && jws.getHeader().getCriticalParams() == null && jws.getState() != JWSObject.State.UNSIGNED) {
                valid = checkEs256(jws, ec);
            } else if (key instanceof OctetKeyPair okp) {
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

    private boolean checkEs256(JWSObject jws, ECKey key) throws JOSEException {
        return checkEs256(decode(key.getX()), decode(key.getY()), jws.getSigningInput(), decode(jws.getSignature()));
    }

    /** As Nimbus' ECDSAVerifier: a signature of another length is invalid, not an error. */
    private boolean checkEs256(byte[] x, byte[] y, byte[] signingInput, byte[] signature) throws JOSEException {
        if (x.length != P256_COORDINATE || y.length != P256_COORDINATE) {
            throw new JOSEException("the key's coordinates are not 32 bytes");
        }
        if (signature.length != 2 * P256_COORDINATE) {
            return false;
        }
        try {
            return es256.verify(x, y, signingInput, signature);
        } catch (RuntimeException e) {
            throw new JOSEException(e.getClass().getSimpleName(), e);
        }
    }

    /**
     * {@link #check(JWSObject, JWK, String)} of a JWS read directly: the same checks and answers. ES256 with a P-256
     * key goes to this instance's ES256 check without Nimbus; anything else through Nimbus as before.
     */
    public void check(CompactJws jws, JWK key, String what) {
        if (es256 == null || !JWSAlgorithm.ES256.equals(jws.algorithm()) || !(key instanceof ECKey ec)
                || !Curve.P_256.equals(ec.getCurve())) {
            check(jws.toJwsObject(), key, what);
            return;
        }
        if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(JWSAlgorithm.ES256.getName())) {
            throw new Rejected("bad_signature", what + " names " + jws.algorithm() + " but its key is for " + key.getAlgorithm());
        }
        es256(jws, decode(ec.getX()), decode(ec.getY()), what);
    }

    /**
     * {@link #check(JWSObject, JWK, String)} with the JWS's own header {@code jwk} (DPoP proofs, actor tokens): the
     * header's key has no {@code alg}, so only the signature is checked. Only when {@link CompactJws#hasKey()}.
     */
    private void checkWithHeaderKey(CompactJws jws, String what) {
        if (es256 == null || !JWSAlgorithm.ES256.equals(jws.algorithm())) {
            JWSObject parsed = jws.toJwsObject();
            check(parsed, parsed.getHeader().getJWK(), what);
            return;
        }
        es256(jws, jws.headerX(), jws.headerY(), what);
    }

    /** A compact JWS whose signature checked out against the public key in its own header. */
    public record SelfSigned(Map<String, Object> payload, String keyThumbprint) {
    }

    /**
     * Reads {@code text} as a compact JWS whose payload is a JSON object, signed by the public JWK in its own
     * header (DPoP proofs, actor tokens), and checks that signature: directly ({@link CompactJws}) when it has the
     * plain shape, through Nimbus otherwise, with the same values and refusals either way. Refusals, in this order:
     * {@code malformed} (not a compact JWS), {@code payload} (not a JSON object), {@code typ} (not {@code type},
     * unless null), {@code no_key} (no public {@code jwk} in the header), then {@link #check}'s; callers word them.
     */
    public SelfSigned checkSelfSigned(String text, JOSEObjectType type, String what) {
        CompactJws plain = CompactJws.parse(text);
        if (plain != null && plain.hasKey()) {
            if (type != null && !type.equals(plain.type())) {
                throw new Rejected("typ", what + " has typ " + type);
            }
            checkWithHeaderKey(plain, what);
            return new SelfSigned(plain.payload(), plain.keyThumbprint());
        }
        JWSObject jws;
        try {
            jws = parseJws(text);
        } catch (ParseException e) {
            throw new Rejected("malformed", what + " is not a compact JWS");
        }
        Map<String, Object> payload = payloadJson(jws);
        if (payload == null) {
            throw new Rejected("payload", what + "'s payload is not a JSON object");
        }
        if (type != null && !type.equals(jws.getHeader().getType())) {
            throw new Rejected("typ", what + " has typ " + type);
        }
        JWK jwk = jws.getHeader().getJWK();
        if (jwk == null || jwk.isPrivate()) {
            throw new Rejected("no_key", what + " has no public key in its header");
        }
        check(jws, jwk, what);
        return new SelfSigned(payload, DpopVerifier.thumbprint(jwk));
    }

    private void es256(CompactJws jws, byte[] x, byte[] y, String what) {
        boolean valid;
        try {
            valid = checkEs256(x, y, jws.signingInput(), jws.signature());
        } catch (JOSEException e) {
            throw new Rejected("bad_signature", what + ": the signature cannot be checked with its key ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (!valid) {
            throw new Rejected("bad_signature", what + ": the signature does not verify");
        }
    }

    /** Whether {@code text} is non-empty base64url characters only. */
    static boolean base64url(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                return false;
            }
        }
        return !text.isEmpty();
    }
}
