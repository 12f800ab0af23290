package dev.signet.client;

import java.time.Instant;

/** A signed token as Signet returned it. {@link #toString()} never shows the token itself. */
public record Token(String token, String kid, Instant expiresAt) {
    @Override
    public String toString() {
        return "Token[kid=" + kid + ", expiresAt=" + expiresAt + "]";
    }
}
