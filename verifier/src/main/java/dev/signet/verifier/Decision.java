package dev.signet.verifier;

/**
 * The answer to "may this token do this": {@code allowed}, and a stable reason code ({@code ok} when allowed;
 * otherwise the {@link Rejected#reason()} or {@code resource_not_granted} / {@code action_not_granted}).
 */
public record Decision(boolean allowed, String reason, String detail) {

    static Decision allow() {
        return new Decision(true, "ok", "allowed");
    }

    static Decision deny(String reason, String detail) {
        return new Decision(false, reason, detail);
    }
}
