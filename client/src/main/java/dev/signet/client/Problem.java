package dev.signet.client;

import java.time.Duration;
import java.util.Optional;

/**
 * An RFC 9457 problem from Signet. Branch on {@link #type()} ({@code urn:signet:problem:permission-denied},
 * {@code ...:invalid-argument}, {@code ...:unavailable}, ...), never on the detail text.
 */
public record Problem(String type, int status, String title, String detail, Duration retryAfter, String requestId) {

    public Optional<Duration> retryAfterHint() {
        return Optional.ofNullable(retryAfter);
    }

    /** 429 and 503 say "later"; everything else is an answer. */
    public boolean retryable() {
        return status == 429 || status == 503;
    }
}
