package dev.signet.api;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;

import java.time.Duration;
import java.util.Set;

/**
 * Signet's own meters in Helidon's global registry, which the admin socket serves at {@code /observe/metrics}
 * (Prometheus text). Names and labels are what {@code ops/monitoring} alerts and graphs on: change them together.
 */
final class SignetMetrics {

    /** Fixed paths keep the endpoint label's cardinality bounded whatever clients ask for. */
    private static final Set<String> ENDPOINTS = Set.of("/v1/tokens", "/v1/tokens/batch", "/v1/token",
            "/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/v1/keys", "/v1/keys/prepare",
            "/v1/keys/rotate", "/ui", "/ui/login", "/openapi");
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private SignetMetrics() {
    }

    static String endpoint(String path) {
        if (ENDPOINTS.contains(path)) {
            return path;
        }
        if (path.startsWith("/v1/keys/")) {
            int verb = path.lastIndexOf('/');
            return "/v1/keys/{kid}" + (verb > "/v1/keys/".length() ? path.substring(verb) : "");
        }
        return path.startsWith("/observe") ? "/observe" : "other";
    }

    /** signet_http_request_seconds{endpoint,outcome}: a histogram, so quantiles aggregate across replicas. */
    static void request(String path, String outcome, double seconds) {
        String endpoint = endpoint(path);
        if (endpoint.startsWith("/v1/keys/{kid}") && endpoint.length() > 40) {
            endpoint = "other";
        }
        Metrics.getOrCreate(Timer.builder("signet.http.request")
                        .description("Request latency per endpoint and outcome")
                        .tags(Metrics.tags("endpoint", endpoint, "outcome", outcome))
                        .buckets(BUCKETS))
                .record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    /** signet_tokens_total{minter,outcome,reason}: issued (reason none) and refused per reason. */
    static void token(String minter, String outcome, String reason) {
        Metrics.getOrCreate(Counter.builder("signet.tokens")
                        .description("Tokens issued and refused per minter and reason")
                        .tags(Metrics.tags("minter", minter, "outcome", outcome, "reason", reason)))
                .increment();
    }
}
