package dev.signet.api;

import dev.signet.issuance.Exchange;
import dev.signet.issuance.ExchangeException;
import dev.signet.spi.SignetException;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/token-exchange} (RFC 8693): form parameters in, {@link Exchange} decides and signs. Errors are
 * RFC 6749 §5.2 JSON ({@code {"error", "error_description"}}), which OAuth clients understand, not problem+json.
 */
final class TokenExchangeService implements HttpService {

    static final String PATH = "/v1/token-exchange";
    private static final io.helidon.http.HeaderName DPOP = HeaderNames.create("DPoP");

    private final Exchange exchange;
    private final String endpoint;
    private final long maxBodyBytes;
    private final ReadDeadlines deadlines;

    /** @param issuer the issuer URL; DPoP proofs name {@code <issuer>/v1/token-exchange} as their htu */
    TokenExchangeService(Exchange exchange, String issuer, long maxBodyBytes, ReadDeadlines deadlines) {
        this.exchange = exchange;
        this.deadlines = deadlines;
        this.endpoint = issuer + PATH;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::exchange).any("/", Problems.methodNotAllowed("POST"));
    }

    private void exchange(ServerRequest req, ServerResponse res) {
        Exchange.Result result;
        try {
            Map<String, String> form = form(req);
            result = exchange.exchange(form, req.headers().first(DPOP).orElse(null), endpoint);
        } catch (ExchangeException e) {
            error(res, Status.BAD_REQUEST_400, e.error(), e.getMessage());
            return;
        } catch (SignetException e) {
            if (e.code() == SignetException.Code.UNAVAILABLE) {
                e.retryAfter().ifPresent(d -> res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, d.toSeconds()))));
                error(res, Status.SERVICE_UNAVAILABLE_503, "temporarily_unavailable", e.getMessage());
            } else if (e.code() == SignetException.Code.RATE_LIMITED || e.code() == SignetException.Code.RESOURCE_EXHAUSTED) {
                // The chain's minter is over its rate limit (MinterQuotas), or the backend is throttled.
                e.retryAfter().ifPresent(d -> res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, d.toSeconds()))));
                error(res, Status.TOO_MANY_REQUESTS_429, "slow_down", e.getMessage());
            } else {
                error(res, Status.BAD_REQUEST_400, "invalid_request", e.getMessage());
            }
            return;
        }
        long expiresIn = Math.max(0, result.token().expiresAt().getEpochSecond() - result.token().issuedAt().getEpochSecond());
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        // Every value is base64url, a fixed URN or a number: nothing to escape.
        res.send(("{\"access_token\":\"" + result.token().token() + "\",\"issued_token_type\":\"" + Exchange.ACCESS_TOKEN_TYPE
                + "\",\"token_type\":\"" + (result.bound() ? "DPoP" : "Bearer") + "\",\"expires_in\":" + expiresIn + "}")
                .getBytes(StandardCharsets.US_ASCII));
    }

    private Map<String, String> form(ServerRequest req) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty() || !type.get().test(MediaTypes.APPLICATION_FORM_URLENCODED)) {
            throw new ExchangeException(ExchangeException.INVALID_REQUEST, "the body must be application/x-www-form-urlencoded");
        }
        long length = req.headers().contentLength().orElse(-1);
        if (length > maxBodyBytes) {
            throw new ExchangeException(ExchangeException.INVALID_REQUEST, "the body is larger than " + maxBodyBytes + " bytes");
        }
        byte[] body;
        try {
            // With a Content-Length, a buffer of that size: readNBytes(max + 1) allocated 16 KiB per request and copied.
            body = deadlines.body(() -> {
                try (InputStream in = req.content().inputStream()) {
                    if (length < 0) {
                        return in.readNBytes((int) maxBodyBytes + 1);
                    }
                    byte[] exact = new byte[(int) length];
                    if (in.readNBytes(exact, 0, exact.length) < exact.length) {
                        throw new java.io.EOFException("the body ended before its Content-Length");
                    }
                    return exact;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw new ExchangeException(ExchangeException.INVALID_REQUEST, "the body could not be read");
        }
        if (body.length > maxBodyBytes) {
            throw new ExchangeException(ExchangeException.INVALID_REQUEST, "the body is larger than " + maxBodyBytes + " bytes");
        }
        Map<String, String> form = new HashMap<>();
        String text = new String(body, StandardCharsets.US_ASCII);
        if (text.isEmpty()) {
            return form;
        }
        for (String pair : text.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = decode(eq < 0 ? pair : pair.substring(0, eq));
                value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new ExchangeException(ExchangeException.INVALID_REQUEST, "the body is not valid form encoding");
            }
            // RFC 6749 §3.2: parameters must not be repeated.
            if (form.put(name, value) != null) {
                throw new ExchangeException(ExchangeException.INVALID_REQUEST, "parameter '" + name + "' is repeated");
            }
        }
        return form;
    }

    /**
     * {@link URLDecoder#decode(String, java.nio.charset.Charset)}, skipped for text with nothing to decode (the tokens,
     * base64url): the JDK's copies every character through a StringBuilder even then.
     */
    static String decode(String text) {
        return text.indexOf('%') < 0 && text.indexOf('+') < 0 ? text : URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    private static void error(ServerResponse res, Status status, String error, String description) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(("{\"error\":\"" + error + "\",\"error_description\":"
                + com.nimbusds.jose.util.JSONStringUtils.toJSONString(description) + "}").getBytes(StandardCharsets.UTF_8));
    }
}
