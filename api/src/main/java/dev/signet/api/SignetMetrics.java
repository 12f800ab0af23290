package dev.signet.api;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;

import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.spi.KeyBackend;
import io.helidon.metrics.api.Gauge;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Signet's own meters in Helidon's global registry, which the admin socket serves at {@code /observe/metrics}
 * (Prometheus text). Names and labels are what {@code ops/monitoring} alerts and graphs on: change them together.
 */
final class SignetMetrics {

    /** Fixed paths keep the endpoint label's cardinality bounded whatever clients ask for. */
    private static final Set<String> ENDPOINTS = Set.of("/v1/tokens", "/v1/tokens/batch", "/v1/token",
            "/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/v1/keys", "/v1/keys/prepare",
            "/v1/keys/rotate", "/ui", "/ui/login", "/ui/logout", "/openapi");
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    /** What the gauges read: the latest started server's (the registry is global, tests start several). */
    private record Sources(KeyRing keys, MasterKeyRing masters, KeyBackend backend, LifecycleStore store,
                           Clock clock) {
    }

    private static final AtomicReference<Sources> SOURCES = new AtomicReference<>();
    private static final List<String> STATES = List.of("PREPARED", "ACTIVE", "RETIRED", "REVOKED");

    private SignetMetrics() {
    }

    /**
     * Registers the state gauges: signet_key_next_transition_seconds{state} (the soonest of that state's keys;
     * NaN when none), signet_keys{state}, signet_rotation_lead_seconds, signet_backend_up,
     * signet_backend_circuit{state} (1 for the breaker's current state), signet_store_up,
     * signet_journal_read_age_seconds, signet_jwks_max_age_seconds and signet_subkeys.
     */
    static void watch(KeyRing keys, MasterKeyRing masters, KeyBackend backend, LifecycleStore store, Clock clock) {
        SOURCES.set(new Sources(keys, masters, backend, store, clock));
        for (String state : STATES) {
            Metrics.getOrCreate(Gauge.builder("signet.key.next.transition.seconds", () -> nextTransition(state))
                    .description("Seconds until the soonest next transition of a key in this state")
                    .tags(Metrics.tags("state", state)));
            Metrics.getOrCreate(Gauge.builder("signet.keys", () -> count(state))
                    .description("Keys in this state").tags(Metrics.tags("state", state)));
        }
        Metrics.getOrCreate(Gauge.builder("signet.rotation.lead.seconds", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN : (double) s.masters().policy().prepublishLead().toSeconds();
        }).description("How long before activation a key must be published"));
        Metrics.getOrCreate(Gauge.builder("signet.backend.up", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN : s.backend().degraded().isEmpty() ? 1.0 : 0.0;
        }).description("1 while the key backend answers, 0 while degraded (circuit open)"));
        for (KeyBackend.Circuit circuit : KeyBackend.Circuit.values()) {
            Metrics.getOrCreate(Gauge.builder("signet.backend.circuit", () -> {
                Sources s = SOURCES.get();
                return s == null ? Double.NaN : s.backend().circuit() == circuit ? 1.0 : 0.0;
            }).description("1 for the key backend's circuit breaker state (closed, half_open, open), else 0")
                    .tags(Metrics.tags("state", circuit.name().toLowerCase(java.util.Locale.ROOT))));
        }
        Metrics.getOrCreate(Gauge.builder("signet.journal.read.age.seconds", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN
                    : Duration.between(s.masters().journalReadAt(), s.clock().instant()).toMillis() / 1000.0;
        }).description("Seconds since this replica last read the key journal; signing stops at the JWKS max-age"));
        Metrics.getOrCreate(Gauge.builder("signet.jwks.max.age.seconds", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN : (double) s.masters().policy().jwksMaxAge().toSeconds();
        }).description("How long verifiers may cache the JWKS, and how stale a journal may be before signing stops"));
        Metrics.getOrCreate(Gauge.builder("signet.subkeys", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN
                    : s.keys().describe().stream().filter(k -> k.state().startsWith("SUBKEY_")).count();
        }).description("Delegated mode's published subkeys (0 in direct mode)"));
        Metrics.getOrCreate(Gauge.builder("signet.store.up", () -> {
            Sources s = SOURCES.get();
            return s == null ? Double.NaN : s.store().degraded().isEmpty() ? 1.0 : 0.0;
        }).description("1 while the journal store answers, 0 while it is degraded (the journal goes stale)"));
    }

    private static double count(String state) {
        Sources s = SOURCES.get();
        return s == null ? Double.NaN : s.masters().describe().stream().filter(k -> k.state().equals(state)).count();
    }

    private static double nextTransition(String state) {
        Sources s = SOURCES.get();
        if (s == null) {
            return Double.NaN;
        }
        Instant now = s.clock().instant();
        double soonest = Double.NaN;
        for (KeyRing.KeyView k : s.masters().describe()) {
            if (!k.state().equals(state)) {
                continue;
            }
            Instant next = switch (state) {
                case "PREPARED" -> k.activates();
                case "ACTIVE" -> k.retires();
                case "RETIRED" -> k.unpublishes();
                default -> k.destroys();
            };
            if (next != null) {
                double secs = Duration.between(now, next).toMillis() / 1000.0;
                soonest = Double.isNaN(soonest) ? secs : Math.min(soonest, secs);
            }
        }
        return soonest;
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

    /**
     * Meters by label values. Helidon's getOrCreate builds a Micrometer builder and takes its registry's lock twice
     * per call; on every request that was a shared lock and several allocations. The global registry is never
     * closed while the daemon runs, so a meter once created stays the registry's.
     */
    private static final ConcurrentHashMap<List<String>, Timer> TIMERS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<List<String>, Counter> COUNTERS = new ConcurrentHashMap<>();
    /** Label values come from bounded sets (endpoints, outcomes, reasons, configured minters); this bounds the rest. */
    private static final int MAX_CACHED = 4096;

    /** signet_http_request_seconds{endpoint,outcome}: a histogram, so quantiles aggregate across replicas. */
    static void request(String path, String outcome, double seconds) {
        String endpoint = endpoint(path);
        if (endpoint.startsWith("/v1/keys/{kid}") && endpoint.length() > 40) {
            endpoint = "other";
        }
        String e = endpoint;
        cached(TIMERS, List.of(endpoint, outcome), () -> Metrics.getOrCreate(Timer.builder("signet.http.request")
                        .description("Request latency per endpoint and outcome")
                        .tags(Metrics.tags("endpoint", e, "outcome", outcome))
                        .buckets(BUCKETS)))
                .record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    /** signet_tokens_total{minter,outcome,reason}: issued (reason none) and refused per reason. */
    static void token(String minter, String outcome, String reason) {
        cached(COUNTERS, List.of(minter, outcome, reason), () -> Metrics.getOrCreate(Counter.builder("signet.tokens")
                        .description("Tokens issued and refused per minter and reason")
                        .tags(Metrics.tags("minter", minter, "outcome", outcome, "reason", reason))))
                .increment();
    }

    private static final class Overloaded {
        static final Counter COUNTER = Metrics.getOrCreate(Counter.builder("signet.http.overloaded")
                .description("Signing requests refused at once because signet.http.max-in-flight were being served"));
    }

    /** signet_http_overloaded_total: 503 overloaded refusals (see Admission). */
    static void overloaded() {
        Overloaded.COUNTER.increment();
    }

    private static <M extends io.helidon.metrics.api.Meter> M cached(ConcurrentHashMap<List<String>, M> cache,
                                                                      List<String> labels, Supplier<M> create) {
        M meter = cache.get(labels);
        if (meter == null) {
            meter = create.get();
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(labels, meter);
        }
        return meter;
    }
}
