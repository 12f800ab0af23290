package dev.signet.client;

import java.time.Duration;
import java.util.Optional;

/**
 * The token exchange refused (RFC 6749 §5.2): branch on {@link #error()} ({@code invalid_request},
 * {@code unsupported_grant_type}, {@code invalid_grant}, {@code invalid_target}, {@code temporarily_unavailable}),
 * never on the description.
 */
public final class OAuthErrorException extends RuntimeException {

    private final String error;
    private final String description;
    private final int status;
    private final transient Duration retryAfter;

    public OAuthErrorException(String error, String description, int status, Duration retryAfter) {
        super(status + " " + error + ": " + description);
        this.error = error;
        this.description = description;
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public String error() {
        return error;
    }

    public String description() {
        return description;
    }

    public int status() {
        return status;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
