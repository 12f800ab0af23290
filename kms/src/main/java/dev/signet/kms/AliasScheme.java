package dev.signet.kms;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How Signet names its KMS keys: {@code alias/signet/<issuer-slug>/<kid>}. The slug is readable
 * (lower-case host and path) and ends in a hash of the exact issuer, so two issuers never share keys
 * even when their readable parts collapse to the same text.
 */
final class AliasScheme {

    static final String TAG_ISSUER = "signet:issuer";
    static final String TAG_ALG = "signet:alg";
    static final String TAG_KID = "signet:kid";

    /** A kid is an RFC 7638 SHA-256 thumbprint: 43 base64url characters, all legal in an alias. */
    private static final Pattern KID = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final int READABLE_MAX = 48;

    private final String slug;

    AliasScheme(String issuer) {
        this.slug = slug(issuer);
    }

    /** The issuer slug, also the value of the {@code signet:issuer} tag. */
    String slug() {
        return slug;
    }

    /** Every Signet alias of this issuer starts with this. */
    String prefix() {
        return "alias/signet/" + slug + "/";
    }

    /** @param kid must satisfy {@link #isKid} */
    String alias(String kid) {
        return prefix() + kid;
    }

    /** The kid named by an alias of this issuer, or empty for any other alias. */
    Optional<String> kidOf(String aliasName) {
        if (aliasName == null || !aliasName.startsWith(prefix())) {
            return Optional.empty();
        }
        String kid = aliasName.substring(prefix().length());
        return isKid(kid) ? Optional.of(kid) : Optional.empty();
    }

    static boolean isKid(String s) {
        return s != null && KID.matcher(s).matches();
    }

    /** e.g. {@code https://auth.example.com/t1} → {@code auth-example-com-t1-1a2b3c4d5e6f}. */
    static String slug(String issuer) {
        String readable = issuer.toLowerCase(Locale.ROOT)
                .replaceFirst("^[a-z][a-z0-9+.-]*://", "")
                .replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        if (readable.length() > READABLE_MAX) {
            readable = readable.substring(0, READABLE_MAX).replaceAll("-+$", "");
        }
        String hash = HexFormat.of().formatHex(sha256(issuer), 0, 6);
        return readable.isEmpty() ? hash : readable + "-" + hash;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
