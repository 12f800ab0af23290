package dev.signet.verifier;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The chained credential's serialization: the Signet token (the root), then each link, as compact JWS joined by
 * {@code ~} ({@code ROOT~LINK1~LINK2}). {@code ~} is outside the JWS compact alphabet, so splitting is exact, and
 * inside RFC 9110's token68, so the whole chain fits an {@code Authorization: DPoP} header. A credential without
 * {@code ~} is a plain Signet token.
 *
 * <p>A link is a JWS with header {@code {alg, typ: signet-link+jwt, jwk}} ({@code jwk}: the public key that signs
 * it, whose RFC 7638 thumbprint is the previous element's {@code cnf.jkt}) and claims {@code jti}, {@code iat},
 * {@code exp} (≤ the previous element's), {@code aud} and {@code authorization_details} (RFC 9396, as in the root;
 * each left out when the link keeps the previous element's),
 * {@code cnf.jkt} (the next holder), {@code act.sub} (the next holder's identity) and {@code signet_prev}
 * (base64url SHA-256 of the previous element's text). A link's depth is its position counted from the root's
 * {@code signet_depth} (0 for a minted token), as token exchange counts: link k of a minted token is at depth k.
 */
public final class Chain {

    public static final String LINK_TYPE = "signet-link+jwt";
    public static final char SEPARATOR = '~';
    /** The root claim carrying the delegation cap of its minter (bound tokens whose minter may delegate). */
    public static final String MAX_DEPTH_CLAIM = "signet_max_depth";
    public static final String PREV_CLAIM = "signet_prev";
    /** Longer input is refused before any parsing. */
    public static final int MAX_LENGTH = 64 * 1024;

    private Chain() {
    }

    /**
     * The elements, root first.
     *
     * @throws Rejected {@code malformed} (empty element, too long) or {@code too_deep} (more links than
     *                  {@link TokenVerifier#MAX_DEPTH}, refused before any signature is checked)
     */
    public static List<String> split(String credential) {
        if (credential == null || credential.isEmpty() || credential.length() > MAX_LENGTH) {
            throw new Rejected("malformed", "a credential is a token or a chain of at most " + MAX_LENGTH + " characters");
        }
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= credential.length(); i++) {
            if (i == credential.length() || credential.charAt(i) == SEPARATOR) {
                if (i == start) {
                    throw new Rejected("malformed", "a chain is compact JWS joined by '~', none of them empty");
                }
                parts.add(credential.substring(start, i));
                start = i + 1;
                if (parts.size() > TokenVerifier.MAX_DEPTH + 1) {
                    throw new Rejected("too_deep", "a chain has at most " + TokenVerifier.MAX_DEPTH + " links");
                }
            }
        }
        return parts;
    }

    /** {@code signet_prev} of the element after {@code element}: base64url SHA-256 of its ASCII text. */
    public static String hash(String element) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(element.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String join(List<String> elements) {
        return String.join(String.valueOf(SEPARATOR), elements);
    }
}
