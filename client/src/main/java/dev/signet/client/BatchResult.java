package dev.signet.client;

/** One item of a batch: a token or the problem that refused it (exactly one is non-null). */
public record BatchResult(Token token, Problem problem) {
    public boolean ok() {
        return token != null;
    }
}
