package dev.signet.issuance;

/**
 * A token exchange refused, as RFC 6749 §5.2 names it: {@code error} is {@code invalid_request},
 * {@code unsupported_grant_type}, {@code invalid_grant} or {@code invalid_target}; the description says what to
 * fix and never holds a token.
 */
public final class ExchangeException extends RuntimeException {

    public static final String INVALID_REQUEST = "invalid_request";
    public static final String UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type";
    public static final String INVALID_GRANT = "invalid_grant";
    public static final String INVALID_TARGET = "invalid_target";

    private final String error;

    public ExchangeException(String error, String description) {
        super(description, null, false, false);
        this.error = error;
    }

    public String error() {
        return error;
    }
}
