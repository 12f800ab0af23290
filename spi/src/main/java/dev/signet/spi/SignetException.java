package dev.signet.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * The one error type of Signet. Callers branch on {@link #code()}, never on the message;
 * the API maps codes to HTTP statuses in one place. Messages never carry secrets.
 */
public final class SignetException extends RuntimeException {

    /** What went wrong, in terms a caller can act on. */
    public enum Code {
        /** The request could not be parsed (malformed JSON, wrong shape). */
        MALFORMED,
        /** Parsed, but semantically invalid (bad ttl, unknown or reserved field, empty scope). */
        INVALID_ARGUMENT,
        /** Missing or wrong credential. */
        UNAUTHENTICATED,
        /** Authenticated, but outside the caller's policy. */
        PERMISSION_DENIED,
        NOT_FOUND,
        /** The request conflicts with the current state (e.g. activating a key that is not prepared). */
        FAILED_PRECONDITION,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        /** A backend quota or throttling was hit (KMS, the signing pool); retry later. */
        RESOURCE_EXHAUSTED,
        /**
         * The caller is over its own rate limit (a minter's {@code rate}/{@code burst}); retry after Retry-After.
         * The caller's doing, not the server's: its detail goes to the caller and nothing is logged per refusal.
         */
        RATE_LIMITED,
        /** The backend is down or recovering; retry later. */
        UNAVAILABLE,
        /** A bug or an unexpected backend failure. */
        INTERNAL
    }

    private final Code code;
    private final Duration retryAfter;

    public SignetException(Code code, String message) {
        this(code, message, null, null);
    }

    public SignetException(Code code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    public SignetException(Code code, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public Code code() {
        return code;
    }

    /** How long a client should wait before retrying, for UNAVAILABLE, RESOURCE_EXHAUSTED and RATE_LIMITED. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
