package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.utils.ECChecks;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.Base64URL;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.spec.ECParameterSpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * A compact JWS read directly when it has the plain shape Signet, its clients and DPoP libraries write: a header of
 * only {@code alg}, {@code typ}, {@code kid} and {@code jwk} (a public P-256 key of exactly {@code kty}, {@code crv},
 * {@code x}, {@code y}, on the curve), and a payload that is a JSON object in {@link PlainJson}'s subset. Nimbus
 * ({@code JWSObject.parse}: gson maps, {@code JWK.parse}) reads such text to the same values at about three times
 * the cost: it was most of an exchange's work outside its signatures. Anything else makes {@link #parse} return
 * null, and the caller reads the text with Nimbus as before, so every refusal and every unusual header stays
 * Nimbus's decision ({@code CompactJwsTest} compares the two on every input it makes).
 */
public final class CompactJws {

    private static final Set<String> HEADER = Set.of("alg", "typ", "kid", "jwk");
    private static final Set<String> KEY = Set.of("kty", "crv", "x", "y");
    private static final ECParameterSpec P256 = Curve.P_256.toECParameterSpec();
    private static final int COORDINATE = 32;

    private final String text;
    private final int signatureAt;
    private final JWSAlgorithm algorithm;
    private final JOSEObjectType type;
    private final String keyId;
    private final String x;
    private final String y;
    private final byte[] xBytes;
    private final byte[] yBytes;
    private final Map<String, Object> payload;

    private CompactJws(String text, int signatureAt, JWSAlgorithm algorithm, JOSEObjectType type, String keyId,
                       String x, String y, byte[] xBytes, byte[] yBytes, Map<String, Object> payload) {
        this.text = text;
        this.signatureAt = signatureAt;
        this.algorithm = algorithm;
        this.type = type;
        this.keyId = keyId;
        this.x = x;
        this.y = y;
        this.xBytes = xBytes;
        this.yBytes = yBytes;
        this.payload = payload;
    }

    /**
     * {@code text} read directly, or null when it is not a compact JWS of the plain shape (then Nimbus reads it):
     * three base64url segments (no whitespace, non-empty header and signature), each JSON part in the subset.
     */
    public static CompactJws parse(String text) {
        if (text == null || !Signatures.compact(text)) {
            return null;
        }
        int dot1 = text.indexOf('.');
        int dot2 = text.indexOf('.', dot1 + 1);
        if (dot2 == dot1 + 1) {
            return null; // an empty payload: Nimbus refuses it as JSON
        }
        Map<String, Object> header = json(text, 0, dot1, PlainJson.MAX_HEADER);
        if (header == null || !HEADER.containsAll(header.keySet()) || !(header.get("alg") instanceof String alg)
                || alg.equals("none")) {
            return null;
        }
        Object typ = header.get("typ");
        Object kid = header.get("kid");
        if (header.containsKey("typ") && !(typ instanceof String) || header.containsKey("kid") && !(kid instanceof String)) {
            return null;
        }
        String x = null;
        String y = null;
        byte[] xBytes = null;
        byte[] yBytes = null;
        if (header.containsKey("jwk")) {
            if (!(header.get("jwk") instanceof Map<?, ?> jwk) || !jwk.keySet().equals(KEY) || !"EC".equals(jwk.get("kty"))
                    || !"P-256".equals(jwk.get("crv")) || !(jwk.get("x") instanceof String xs) || !(jwk.get("y") instanceof String ys)) {
                return null;
            }
            xBytes = coordinate(xs);
            yBytes = coordinate(ys);
            // Nimbus refuses a header key off the curve while parsing; such text is left to it.
            if (xBytes == null || yBytes == null
                    || !ECChecks.isPointOnCurve(new BigInteger(1, xBytes), new BigInteger(1, yBytes), P256)) {
                return null;
            }
            x = xs;
            y = ys;
        }
        Map<String, Object> payload = json(text, dot1 + 1, dot2, Integer.MAX_VALUE);
        if (payload == null) {
            return null;
        }
        return new CompactJws(text, dot2 + 1, JWSAlgorithm.parse(alg), typ == null ? null : new JOSEObjectType((String) typ),
                (String) kid, x, y, xBytes, yBytes, payload);
    }

    /** A base64url segment's JSON object, or null (Nimbus decodes base64url to the same bytes, then UTF-8). */
    private static Map<String, Object> json(String text, int from, int to, int maxChars) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text.substring(from, to));
        } catch (IllegalArgumentException e) {
            return null; // a length Nimbus decodes leniently: left to it
        }
        String json = new String(bytes, StandardCharsets.UTF_8);
        return json.length() > maxChars ? null : PlainJson.object(json);
    }

    /** The 32 bytes of a canonical base64url P-256 coordinate, or null for any other spelling. */
    private static byte[] coordinate(String text) {
        if (text.length() != 43 || !Signatures.base64url(text)) {
            return null;
        }
        byte[] bytes = Base64.getUrlDecoder().decode(text);
        // A last character with stray low bits decodes to the same bytes but another spelling: left to Nimbus.
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(text) ? bytes : null;
    }

    /** The header's {@code alg}, as {@link JWSAlgorithm#parse} reads it. */
    public JWSAlgorithm algorithm() {
        return algorithm;
    }

    /** The header's {@code typ}, or null. */
    public JOSEObjectType type() {
        return type;
    }

    /** The header's {@code kid}, or null. */
    public String keyId() {
        return keyId;
    }

    /** Whether the header carries a {@code jwk} (then a public P-256 key on the curve). */
    public boolean hasKey() {
        return x != null;
    }

    /** The payload, a JSON object (a map Nimbus' {@code JSONObjectUtils.parse} would equal). */
    public Map<String, Object> payload() {
        return payload;
    }

    /** The RFC 7638 thumbprint of the header's key; only when {@link #hasKey()}. */
    public String keyThumbprint() {
        return DpopVerifier.thumbprintP256(x, y);
    }

    /** Whether the signature segment is canonical base64url (no stray low bits), as {@link Signatures#canonical}. */
    public boolean canonicalSignature() {
        String signature = text.substring(signatureAt);
        return Base64URL.encode(Signatures.decode(new Base64URL(signature))).toString().equals(signature);
    }

    String text() {
        return text;
    }

    byte[] headerX() {
        return xBytes;
    }

    byte[] headerY() {
        return yBytes;
    }

    byte[] signingInput() {
        return text.substring(0, signatureAt - 1).getBytes(StandardCharsets.US_ASCII);
    }

    byte[] signature() {
        return Signatures.decode(new Base64URL(text.substring(signatureAt)));
    }

    /** The same text read by Nimbus: for the checks this class leaves to it (other algorithms, the JDK's verifier). */
    JWSObject toJwsObject() {
        try {
            return JWSObject.parse(text);
        } catch (ParseException e) {
            throw new IllegalStateException("Nimbus refuses a JWS read directly: " + e.getMessage(), e);
        }
    }
}
