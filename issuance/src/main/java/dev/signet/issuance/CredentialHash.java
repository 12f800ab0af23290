package dev.signet.issuance;

import dev.signet.spi.SignetException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A stored credential: {@code sha256:<hex>} of the bearer secret. Credentials are random secrets of at
 * least 128 bits, not passwords, so a plain SHA-256 is enough and keeps every check cheap.
 */
public final class CredentialHash {

    private static final String PREFIX = "sha256:";
    private final byte[] digest;

    private CredentialHash(byte[] digest) {
        this.digest = digest;
    }

    /** @throws SignetException INVALID_ARGUMENT if the text is not {@code sha256:} and 64 hex digits */
    public static CredentialHash parse(String text) {
        if (text == null || !text.startsWith(PREFIX) || text.length() != PREFIX.length() + 64) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "a credential hash is 'sha256:' followed by 64 hex digits (see: signet hash-credential)");
        }
        try {
            return new CredentialHash(HexFormat.of().parseHex(text.substring(PREFIX.length())));
        } catch (IllegalArgumentException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "a credential hash must be hex digits");
        }
    }

    public static CredentialHash of(String credential) {
        return new CredentialHash(sha256(credential));
    }

    /** Constant-time comparison with a presented credential. */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    /** Constant-time comparison with an already hashed presented credential. */
    boolean matchesDigest(byte[] presentedDigest) {
        return MessageDigest.isEqual(digest, presentedDigest);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    /** The stored form. */
    public String text() {
        return PREFIX + HexFormat.of().formatHex(digest);
    }

    @Override
    public String toString() {
        return "CredentialHash[redacted]";
    }
}
