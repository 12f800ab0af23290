package dev.signet.api;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;

import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The id that joins a minter's log line to Signet's: {@code X-Request-Id} as the client sent it when it is short
 * and made of safe characters, otherwise a new random one. It is echoed in the response, carried in every problem
 * body as {@code request_id}, and readable by log lines of the request through {@link #current()}.
 */
public final class RequestId {

    public static final HeaderName HEADER = HeaderNames.create("X-Request-Id");
    /** Longer ids, or any other character, are replaced: the id reaches logs and must not carry injections. */
    public static final int MAX_LENGTH = 64;

    private static final String CONTEXT_KEY = "signet.request-id";
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private RequestId() {
    }

    /** The id of the request being handled on this thread, for log lines; empty outside a request. */
    public static Optional<String> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * The id of {@code req}: assigned by {@link #filter} (on this thread while the request's handlers run, in its
     * context for the error handlers after them), or taken from its header if routing never ran.
     */
    public static String of(ServerRequest req) {
        String current = CURRENT.get();
        if (current != null) {
            return current;
        }
        return req.context().get(CONTEXT_KEY, String.class)
                .orElseGet(() -> accept(req.headers().first(HEADER).orElse(null)));
    }

    /** {@code presented} when it is 1..{@value #MAX_LENGTH} characters of {@code A-Z a-z 0-9 . _ : -}, else a new id. */
    public static String accept(String presented) {
        return valid(presented) ? presented : generate();
    }

    static boolean valid(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '_' || c == ':' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * 96 random bits, base64url: 16 characters. A correlation id, not a secret: the per-thread generator, which
     * costs nothing on the hot path, rather than SecureRandom's shared, locked one.
     */
    static String generate() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Assigns the id before any handler runs, echoes it in the response and exposes it to the request's log lines. */
    static void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String id = accept(req.headers().first(HEADER).orElse(null));
        res.header(HEADER, id);
        CURRENT.set(id);
        try {
            chain.proceed();
        } catch (RuntimeException | Error e) {
            // Error handlers run after the filters, off CURRENT. Only then: a request's context costs ~2% of its CPU.
            req.context().register(CONTEXT_KEY, id);
            throw e;
        } finally {
            CURRENT.remove();
        }
    }
}
