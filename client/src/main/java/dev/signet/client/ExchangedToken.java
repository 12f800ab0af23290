package dev.signet.client;

import java.time.Duration;

/**
 * A child token from a token exchange (RFC 8693 §2.2): {@code tokenType} is {@code DPoP} when it is bound to the
 * actor's key, {@code Bearer} otherwise. {@link #toString()} never shows the token itself.
 */
public record ExchangedToken(String accessToken, String tokenType, Duration expiresIn) {
    @Override
    public String toString() {
        return "ExchangedToken[tokenType=" + tokenType + ", expiresIn=" + expiresIn + "]";
    }
}
