package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * RFC 9457 problem details: the one place where errors become HTTP responses, for both sockets and for requests
 * Helidon refuses before routing. Services throw ({@link SignetException}, or {@link #methodNotAllowed}'s
 * refusal); they never write an error body themselves.
 *
 * <p>Bodies say what was wrong with the request. Server-side failures (5xx, and 429 from a throttled backend)
 * carry a generic detail: their messages may name backend internals, which go to the operator log with the
 * request id instead. Every body carries the {@link RequestId} as {@code request_id}.
 */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_PREFIX = "urn:signet:problem:";
    private static final System.Logger LOG = System.getLogger(Problems.class.getName());

    private Problems() {
    }

    /** A method the resource does not serve: 405 with {@code Allow}. HTTP-level, so it has no {@link Code}. */
    static final class MethodNotAllowed extends RuntimeException {
        private final String allow;

        MethodNotAllowed(String method, String allow) {
            super(method + " is not allowed here; allowed: " + allow, null, false, false);
            this.allow = allow;
        }
    }

    /** One problem as it goes on the wire. */
    private record Problem(Status status, String type, String detail, Duration retryAfter) {
    }

    public static Status status(Code code) {
        return switch (code) {
            case MALFORMED -> Status.BAD_REQUEST_400;
            case UNAUTHENTICATED -> Status.UNAUTHORIZED_401;
            case PERMISSION_DENIED -> Status.FORBIDDEN_403;
            case NOT_FOUND -> Status.NOT_FOUND_404;
            case FAILED_PRECONDITION -> Status.CONFLICT_409;
            case PAYLOAD_TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
            case UNSUPPORTED_MEDIA_TYPE -> Status.UNSUPPORTED_MEDIA_TYPE_415;
            case INVALID_ARGUMENT -> Status.UNPROCESSABLE_CONTENT_422;
            case RESOURCE_EXHAUSTED, RATE_LIMITED -> Status.TOO_MANY_REQUESTS_429;
            case UNAVAILABLE -> Status.SERVICE_UNAVAILABLE_503;
            case INTERNAL -> Status.INTERNAL_SERVER_ERROR_500;
        };
    }

    /** Errors whose message is for the operator, not the client. */
    private static boolean serverSide(Code code) {
        return code == Code.INTERNAL || code == Code.UNAVAILABLE || code == Code.RESOURCE_EXHAUSTED;
    }

    private static Problem problem(SignetException e) {
        String detail = switch (e.code()) {
            case INTERNAL -> "internal error; the operator log has the details under this request_id";
            case UNAVAILABLE -> "Signet cannot serve this request now; retry later (the operator log has the reason)";
            case RESOURCE_EXHAUSTED -> "Signet is busy; retry later";
            default -> e.getMessage();
        };
        return new Problem(status(e.code()), type(e.code()), detail, e.retryAfter().orElse(null));
    }

    private static String type(Code code) {
        return TYPE_PREFIX + code.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The problem object for one error, also used per item in batch responses; logs server-side failures with
     * the request id.
     */
    public static Map<String, Object> body(SignetException e, String requestId) {
        logIfServerSide(e, requestId);
        return json(problem(e), requestId);
    }

    private static Map<String, Object> json(Problem p, String requestId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", p.type());
        m.put("title", p.status().reasonPhrase());
        m.put("status", p.status().code());
        m.put("detail", p.detail());
        if (p.retryAfter() != null) {
            m.put("retry_after", seconds(p.retryAfter()));
        }
        m.put("request_id", requestId);
        return m;
    }

    private static long seconds(Duration d) {
        return Math.max(1, d.toSeconds());
    }

    private static void logIfServerSide(SignetException e, String requestId) {
        if (serverSide(e.code())) {
            LOG.log(System.Logger.Level.WARNING, "request " + requestId + " failed: " + e.code() + ": " + e.getMessage(),
                    e.code() == Code.INTERNAL ? e : null);
        }
    }

    /** Registers the error handlers every routing uses: the only way an error reaches a client. */
    static void register(HttpRouting.Builder r) {
        r.error(SignetException.class, Problems::send)
                .error(MethodNotAllowed.class, (req, res, e) -> {
                    res.header(HeaderNames.ALLOW, e.allow);
                    write(res, new Problem(Status.METHOD_NOT_ALLOWED_405, TYPE_PREFIX + "method-not-allowed",
                            e.getMessage(), null), RequestId.of(req));
                })
                .error(HttpException.class, (req, res, e) -> write(res, fromHelidon(e), RequestId.of(req)))
                .error(Throwable.class, Problems::sendUnexpected);
    }

    /** The fallback route: 404 without echoing the path (it is the client's text, and may carry anything). */
    static void notFound(ServerRequest req, ServerResponse res) {
        throw new SignetException(Code.NOT_FOUND, "no such resource");
    }

    /** A handler refusing every method with 405; {@code allowed} goes into {@code Allow}. */
    static Handler methodNotAllowed(String... allowed) {
        String allow = String.join(", ", allowed);
        return (req, res) -> {
            throw new MethodNotAllowed(req.prologue().method().text(), allow);
        };
    }

    static void send(ServerRequest req, ServerResponse res, SignetException e) {
        String id = RequestId.of(req);
        logIfServerSide(e, id);
        if (e.code() == Code.UNAUTHENTICATED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        write(res, problem(e), id);
    }

    private static void write(ServerResponse res, Problem p, String requestId) {
        res.status(p.status());
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(RequestId.HEADER, requestId);
        if (p.retryAfter() != null) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds(p.retryAfter())));
        }
        res.send(JSONObjectUtils.toJSONString(json(p, requestId)).getBytes(StandardCharsets.UTF_8));
    }

    /** Retry-After of an overloaded refusal: the backlog it refuses to join is milliseconds long. */
    static final long OVERLOADED_RETRY_SECONDS = 1;

    /**
     * 503 {@code urn:signet:problem:overloaded}: more signing requests in flight than {@link Admission} allows.
     * Not logged: at overload a line per refusal would take the capacity the refusal saves (it is counted in
     * {@code signet_http_overloaded_total}).
     */
    static void overloaded(ServerRequest req, ServerResponse res) {
        write(res, new Problem(Status.SERVICE_UNAVAILABLE_503, TYPE_PREFIX + "overloaded",
                "Signet is serving as many signing requests as it can; retry after the Retry-After seconds",
                Duration.ofSeconds(OVERLOADED_RETRY_SECONDS)), RequestId.of(req));
    }

    /** Helidon's own refusals (bad headers, bad URIs) keep their status and get a problem body. */
    private static Problem fromHelidon(HttpException e) {
        Status status = e.status();
        return status.code() >= 500 ? new Problem(status, type(Code.INTERNAL), "internal error", null)
                : new Problem(status, transportType(status), clientDetail(status), null);
    }

    /** Anything that is not a SignetException is a bug: log it, answer 500 with no detail. */
    private static void sendUnexpected(ServerRequest req, ServerResponse res, Throwable t) {
        String id = RequestId.of(req);
        LOG.log(System.Logger.Level.ERROR, "request " + id + ": unexpected error", t);
        write(res, new Problem(Status.INTERNAL_SERVER_ERROR_500, type(Code.INTERNAL),
                "internal error; the operator log has the details under this request_id", null), id);
    }

    private static String transportType(Status status) {
        return switch (status.code()) {
            case 404 -> type(Code.NOT_FOUND);
            case 413 -> type(Code.PAYLOAD_TOO_LARGE);
            case 505 -> TYPE_PREFIX + "http-version-not-supported";
            default -> status.code() < 500 ? type(Code.MALFORMED) : type(Code.INTERNAL);
        };
    }

    /** Generic on purpose: the raw request text is the client's and may carry credentials. */
    private static String clientDetail(Status status) {
        return switch (status.code()) {
            case 404 -> "no such resource";
            case 413 -> "the request is too large";
            case 505 -> "Signet speaks HTTP/1.1";
            default -> status.code() < 500 ? "the request is not valid HTTP" : "internal error";
        };
    }

    /** The whole response to an HTTP/1.0 request, written by {@link Http10Refusal} before it closes the connection. */
    static byte[] http10Response() {
        Status status = Status.HTTP_VERSION_NOT_SUPPORTED_505;
        String id = RequestId.generate();
        byte[] body = JSONObjectUtils.toJSONString(json(new Problem(status, transportType(status), clientDetail(status),
                null), id)).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 505 " + status.reasonPhrase() + "\r\nContent-Type: " + MEDIA_TYPE
                + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n" + RequestId.HEADER.defaultCase()
                + ": " + id + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Requests Helidon rejects before routing (an unparseable request line, header or Content-Length). */
    public static DirectHandlers directHandlers() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            b.addHandler(type, (request, event, status, headers, message) -> {
                String id = RequestId.accept(request.headers().first(RequestId.HEADER).orElse(null));
                Problem p = new Problem(status, transportType(status), clientDetail(status), null);
                return DirectHandler.TransportResponse.builder()
                        .status(status)
                        .headers(headers)
                        .header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE)
                        .header(RequestId.HEADER, id)
                        .entity(JSONObjectUtils.toJSONString(json(p, id)).getBytes(StandardCharsets.UTF_8))
                        .build();
            });
        }
        return b.build();
    }
}
