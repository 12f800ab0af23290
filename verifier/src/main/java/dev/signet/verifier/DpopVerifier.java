package dev.signet.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Checks DPoP proofs (RFC 9449 §4.3): {@code typ dpop+jwt}, an asymmetric {@code alg}, a public {@code jwk} in the
 * header that signs the proof, {@code htm} and {@code htu} of this request, {@code iat} within the window either
 * side of now, a {@code jti} not seen within the window ({@link ProofReplays}), {@code ath} over the access token
 * when one is presented, and the key's thumbprint equal to the token's {@code cnf.jkt}.
 */
public final class DpopVerifier {

    public static final String TYPE = "dpop+jwt";
    private static final JOSEObjectType DPOP_JWT = new JOSEObjectType(TYPE);

    private final Clock clock;
    private final Duration window;
    private final ProofReplays replays;
    private final Signatures signatures;

    /** @param window how far {@code iat} may be from now, either way; jtis are remembered twice as long */
    public DpopVerifier(Clock clock, Duration window, ProofReplays replays) {
        this(clock, window, replays, Signatures.jdk());
    }

    /** @param signatures checks the proofs' signatures */
    public DpopVerifier(Clock clock, Duration window, ProofReplays replays, Signatures signatures) {
        this.clock = clock;
        this.window = window;
        this.replays = replays;
        this.signatures = signatures;
    }

    /** A proof that passed: the thumbprint of its key and its jti. */
    public record Proof(String jkt, String jti) {
    }

    /**
     * @param method      the request's HTTP method
     * @param uri         the request's URI as the client addressed it (query and fragment are ignored, §4.3)
     * @param accessToken the token {@code ath} must hash, or null when the proof carries none
     * @param expectedJkt the thumbprint the proof's key must have ({@code cnf.jkt}), or null for any key
     * @throws Rejected with reason {@code dpop_invalid} (malformed, bad signature, wrong key), {@code dpop_htm},
     *                  {@code dpop_htu}, {@code dpop_iat}, {@code dpop_ath} or {@code dpop_replay}
     */
    public Proof check(String proof, String method, String uri, String accessToken, String expectedJkt) {
        if (proof == null || proof.isBlank()) {
            throw new Rejected("dpop_required", "a DPoP proof is required: the token is bound to a key (cnf.jkt)");
        }
        Map<String, Object> claims;
        String jkt;
        try {
            Signatures.SelfSigned read = signatures.checkSelfSigned(proof.strip(), DPOP_JWT, "the DPoP proof");
            claims = read.payload();
            jkt = read.keyThumbprint();
        } catch (Rejected e) {
            throw switch (e.reason()) {
                case "malformed" -> new Rejected("dpop_invalid", "the DPoP proof is not a compact JWS with a JSON payload");
                case "payload" -> new Rejected("dpop_invalid", "the DPoP proof's payload is not a JSON object");
                case "typ" -> new Rejected("dpop_invalid", "a DPoP proof has typ " + TYPE);
                case "no_key" -> new Rejected("dpop_invalid",
                        "a DPoP proof carries the public key that signs it as 'jwk' in its header");
                default -> e;
            };
        }
        if (expectedJkt != null && !expectedJkt.equals(jkt)) {
            throw new Rejected("dpop_invalid", "the DPoP proof is signed by a key other than the one the token is bound to");
        }
        if (!method.equals(claims.get("htm"))) {
            throw new Rejected("dpop_htm", "the DPoP proof's htm is not " + method);
        }
        if (!(claims.get("htu") instanceof String htu) || !sameTarget(htu, uri)) {
            throw new Rejected("dpop_htu", "the DPoP proof's htu is not " + uri);
        }
        Instant now = clock.instant();
        if (!(claims.get("iat") instanceof Number iat)) {
            throw new Rejected("dpop_iat", "the DPoP proof has no iat");
        }
        long seconds = iat.longValue(); // past what an Instant holds: as far from now as it gets, not an error
        Instant issued = seconds < Instant.MIN.getEpochSecond() || seconds > Instant.MAX.getEpochSecond() ? null
                : Instant.ofEpochSecond(seconds);
        if (issued == null || issued.isBefore(now.minus(window)) || issued.isAfter(now.plus(window))) {
            throw new Rejected("dpop_iat", "the DPoP proof's iat is more than " + window.toSeconds() + "s from now");
        }
        if (accessToken != null || claims.containsKey("ath")) {
            if (accessToken == null || !ath(accessToken).equals(claims.get("ath"))) {
                throw new Rejected("dpop_ath", "the DPoP proof's ath is not the SHA-256 of the presented token");
            }
        }
        if (!(claims.get("jti") instanceof String jti) || jti.isEmpty() || jti.length() > 256) {
            throw new Rejected("dpop_invalid", "the DPoP proof has no jti");
        }
        // Remembered until the proof's iat leaves the window, so a replay is refused as long as it would be accepted.
        if (!replays.firstUse(jkt + ' ' + jti, issued.plus(window).plus(window))) {
            throw new Rejected("dpop_replay", "this DPoP proof was used before; send a new one per request");
        }
        return new Proof(jkt, jti);
    }

    /** The RFC 7638 SHA-256 thumbprint of a public JWK. */
    public static String thumbprint(JWK jwk) {
        if (jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve()) && Signatures.base64url(ec.getX().toString())
                && Signatures.base64url(ec.getY().toString())) {
            return thumbprintP256(ec.getX().toString(), ec.getY().toString());
        }
        try {
            return jwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new Rejected("dpop_invalid", "the key's thumbprint cannot be computed");
        }
    }

    /**
     * The thumbprint of a P-256 key with base64url coordinates: the members Nimbus would serialise, in its order,
     * written directly (its generic map-to-JSON was most of a proof's thumbprint); JSON never escapes base64url.
     */
    static String thumbprintP256(String x, String y) {
        String members = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        return Base64URL.encode(sha256(members.getBytes(StandardCharsets.US_ASCII))).toString();
    }

    /** Cloned per use: getInstance looks the provider up each time, three times per exchange. */
    private static final MessageDigest SHA256 = sha256Instance();

    private static MessageDigest sha256Instance() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] data) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) SHA256.clone();
        } catch (CloneNotSupportedException e) {
            digest = sha256Instance();
        }
        return digest.digest(data);
    }

    /** {@code ath}: base64url of the SHA-256 of the token's ASCII text (RFC 9449 §4.2). */
    public static String ath(String token) {
        return Base64URL.encode(sha256(token.getBytes(StandardCharsets.US_ASCII))).toString();
    }

    /** The last endpoint {@link #sameTarget} parsed: a daemon checks every proof against the same one. */
    private volatile Endpoint endpoint = new Endpoint("", URI.create(""));

    private record Endpoint(String text, URI uri) {
        /** Whether an htu spelled as this endpoint is its target: it has a scheme and an authority. */
        boolean valid() {
            return uri.getScheme() != null && uri.getRawAuthority() != null;
        }
    }

    private boolean sameTarget(String htu, String uri) {
        Endpoint e = endpoint;
        if (htu.equals(uri) && e.text().equals(uri)) {
            return e.valid(); // the usual proof names the endpoint exactly as it is addressed: no parse
        }
        try {
            URI a = URI.create(htu);
            if (!e.text().equals(uri)) {
                e = new Endpoint(uri, URI.create(uri));
                endpoint = e;
            }
            URI b = e.uri();
            return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                    && a.getRawAuthority() != null && a.getRawAuthority().equalsIgnoreCase(b.getRawAuthority())
                    && java.util.Objects.equals(emptyToSlash(a.getRawPath()), emptyToSlash(b.getRawPath()));
        } catch (IllegalArgumentException bad) {
            return false;
        }
    }

    private static String emptyToSlash(String path) {
        return path == null || path.isEmpty() ? "/" : path;
    }
}
