package dev.signet.pkcs11;

import dev.signet.spi.SignetException;

import java.security.ProviderException;
import java.time.Duration;

/**
 * What a failed token operation means. A PKCS#11 error or a {@link ProviderException} (how SunPKCS11 reports lost
 * sessions and tokens) anywhere in the cause chain is a token failure: the backend degrades and recovers. A refused
 * PIN is an operator's problem: retrying would lock the token. Anything else is a bug and stays INTERNAL.
 *
 * <p>Errors for callers are generic: minters must not learn CKR_ codes, token labels or library paths. The detail
 * goes to the operator through the log, {@code degraded()} (admin socket) and the exception's cause.
 */
final class TokenFaults {

    /** The JDK's own PKCS#11 error type (internal, so matched by name). */
    private static final String JDK_PKCS11_EXCEPTION = "sun.security.pkcs11.wrapper.PKCS11Exception";
    static final String UNAVAILABLE = "the key backend is unavailable; retry later";
    static final String BUSY = "the key backend is busy; retry later";

    private TokenFaults() {
    }

    /** The CKR_ name of the PKCS#11 error in a cause chain, e.g. {@code CKR_DEVICE_ERROR}, or empty. */
    static String code(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TokenError e) {
                return e.code();
            }
            if (c.getClass().getName().equals(JDK_PKCS11_EXCEPTION)) {
                return String.valueOf(c.getMessage());
            }
        }
        return "";
    }

    static boolean isTokenFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProviderException || !code(t).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    static boolean pinRefused(Throwable e) {
        return code(e).startsWith("CKR_PIN");
    }

    /** A short description for operators: the CKR_ code if there is one, otherwise the exception types. */
    static String describe(Throwable t) {
        String ckr = code(t);
        if (!ckr.isEmpty()) {
            return ckr;
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + "/" + root.getClass().getSimpleName();
    }

    /** What a caller gets while the token fails or recovers; {@code cause} keeps the detail for the log. */
    static SignetException unavailable(Duration retryAfter, Throwable cause) {
        return new SignetException(SignetException.Code.UNAVAILABLE, UNAVAILABLE, retryAfter, cause);
    }
}
