package dev.signet.verifier;

/**
 * A token, proof or request the verifier refuses. {@link #reason()} is a stable code (the conformance vectors
 * compare it); the message says what was wrong, never the token itself.
 */
public final class Rejected extends RuntimeException {

    private final String reason;

    public Rejected(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
