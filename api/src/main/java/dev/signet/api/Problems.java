package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * RFC 9457 problem details, and the one place where Signet error codes become HTTP statuses.
 * Bodies say what was wrong with the request; they never carry stack traces or secrets.
 */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final System.Logger LOG = System.getLogger(Problems.class.getName());

    private Problems() {
    }

    public static Status status(SignetException.Code code) {
        return switch (code) {
            case MALFORMED -> Status.BAD_REQUEST_400;
            case UNAUTHENTICATED -> Status.UNAUTHORIZED_401;
            case PERMISSION_DENIED -> Status.FORBIDDEN_403;
            case NOT_FOUND -> Status.NOT_FOUND_404;
            case FAILED_PRECONDITION -> Status.CONFLICT_409;
            case PAYLOAD_TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
            case UNSUPPORTED_MEDIA_TYPE -> Status.UNSUPPORTED_MEDIA_TYPE_415;
            case INVALID_ARGUMENT -> Status.UNPROCESSABLE_CONTENT_422;
            case RESOURCE_EXHAUSTED -> Status.TOO_MANY_REQUESTS_429;
            case UNAVAILABLE -> Status.SERVICE_UNAVAILABLE_503;
            case INTERNAL -> Status.INTERNAL_SERVER_ERROR_500;
        };
    }

    /** The problem object for one error, also used per item in batch responses. */
    public static Map<String, Object> body(SignetException e) {
        Status status = status(e.code());
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "urn:signet:problem:" + e.code().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        problem.put("title", status.reasonPhrase());
        problem.put("status", status.code());
        // INTERNAL details may name backend internals; clients get a generic sentence.
        problem.put("detail", e.code() == SignetException.Code.INTERNAL ? "internal error" : e.getMessage());
        e.retryAfter().ifPresent(d -> problem.put("retry_after", Math.max(1, d.toSeconds())));
        return problem;
    }

    public static void send(ServerResponse res, SignetException e) {
        if (e.code() == SignetException.Code.INTERNAL || e.code() == SignetException.Code.UNAVAILABLE) {
            LOG.log(System.Logger.Level.WARNING, "request failed: " + e.code() + ": " + e.getMessage(), e);
        }
        res.status(status(e.code()));
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        e.retryAfter().ifPresent(d -> res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, d.toSeconds()))));
        if (e.code() == SignetException.Code.UNAUTHENTICATED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        res.send(JSONObjectUtils.toJSONString(body(e)).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Requests Helidon rejects before routing (an unparseable request line, header or Content-Length) get
     * a problem body too, with a generic detail: their raw text is the client's and may carry credentials.
     */
    public static io.helidon.webserver.http.DirectHandlers directHandlers() {
        var b = io.helidon.webserver.http.DirectHandlers.builder();
        for (io.helidon.http.DirectHandler.EventType type : io.helidon.http.DirectHandler.EventType.values()) {
            b.addHandler(type, (request, event, status, headers, message) -> {
                String body = "{\"type\":\"urn:signet:problem:" + (status.code() < 500 ? "malformed" : "internal")
                        + "\",\"title\":\"" + status.reasonPhrase() + "\",\"status\":" + status.code()
                        + ",\"detail\":\"" + (status.code() < 500 ? "the request is not valid HTTP" : "internal error") + "\"}";
                return io.helidon.http.DirectHandler.TransportResponse.builder()
                        .status(status)
                        .headers(headers)
                        .header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE)
                        .entity(body.getBytes(StandardCharsets.UTF_8))
                        .build();
            });
        }
        return b.build();
    }

    /** Anything that is not a SignetException is a bug: log it, answer 500 with no detail. */
    public static void sendUnexpected(ServerResponse res, Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "unexpected error", t);
        send(res, new SignetException(SignetException.Code.INTERNAL, "unexpected"));
    }
}
