package dev.signet.api;

import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One {@code http.request} line per request, with its request id, so a minter's log line joins Signet's. Refused
 * and failed requests log at INFO; successful ones at DEBUG, since every issued token is already in the audit
 * log and a line per token would cost the hot path. Also feeds {@link SignetMetrics}' request histograms.
 */
final class AccessLog {

    private static final Logger LOG = Logger.getLogger("dev.signet.access");
    private static final ThreadLocal<Map<String, Object>> NOTES = new ThreadLocal<>();

    private AccessLog() {
    }

    /** Adds a field (minter, kid) to the line of the request being handled on this thread, if any. */
    static void note(String name, Object value) {
        Map<String, Object> notes = NOTES.get();
        if (notes != null && value != null) {
            notes.put(name, value);
        }
    }

    static void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        Map<String, Object> notes = new LinkedHashMap<>();
        NOTES.set(notes);
        try {
            chain.proceed();
        } finally {
            NOTES.remove();
            double ms = (System.nanoTime() - start) / 1e6;
            int status = res.status().code();
            String outcome = outcome(status);
            String endpoint = req.prologue().uriPath().path();
            SignetMetrics.request(endpoint, outcome, ms / 1000);
            Level level = status >= 400 ? Level.INFO : Level.FINE;
            if (LOG.isLoggable(level)) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("request_id", RequestId.of(req));
                f.putAll(notes);
                f.put("method", req.prologue().method().text());
                f.put("path", endpoint);
                f.put("status", status);
                f.put("outcome", outcome);
                f.put("duration_ms", Math.round(ms * 1000) / 1000.0);
                LOG.log(level, "{0}", new LogEvent("http.request", f));
            }
        }
    }

    static String outcome(int status) {
        if (status < 400) {
            return "ok";
        } else if (status == 401 || status == 403) {
            return "unauthenticated";
        } else if (status == 429 || status == 503) {
            return "unavailable";
        } else if (status < 500) {
            return "refused";
        }
        return "error";
    }
}
