package dev.signet.pkcs11;

import java.security.ProviderException;

/**
 * A token or library failure named by its PKCS#11 error, e.g. {@code CKR_DEVICE_REMOVED}. A ProviderException, as
 * SunPKCS11 reports failures at run time, so {@link TokenFaults} treats it like theirs.
 */
final class TokenError extends ProviderException {

    private final String code;

    TokenError(String code, String detail) {
        super(code + ": " + detail);
        this.code = code;
    }

    /** The CKR_ name. */
    String code() {
        return code;
    }
}
