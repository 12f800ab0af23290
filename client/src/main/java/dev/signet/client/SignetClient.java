package dev.signet.client;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minter's client for Signet's signing API, and an agent's for the token exchange ({@link #exchange}): one reused
 * HTTP connection pool, a deadline per call, and retries
 * of 429/503 (and of connections that could not be made) that honour {@code Retry-After} with jitter, within a
 * retry budget so a struggling Signet is not flooded by retries. Thread-safe; share one per process.
 *
 * <pre>{@code
 * try (SignetClient signet = SignetClient.builder(URI.create("https://signet.internal:8443"))
 *         .credential(System.getenv("SIGNET_MINTER_TOKEN")).build()) {
 *     Token t = signet.mint(TokenRequest.builder("agent-7", "https://api.example.com")
 *             .ttl(Duration.ofMinutes(10)).allow("repo:acme/widgets", "read").task("task-42").build());
 * }
 * }</pre>
 */
public final class SignetClient implements AutoCloseable {

    /** Waits between attempts; a seam so tests need not wait in real time. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final URI base;
    private final String credential;
    private final String issuer;
    private final HttpClient http;
    private final boolean ownsHttp;
    private final Duration attemptTimeout;
    private final Duration deadline;
    private final int maxAttempts;
    private final RetryBudget budget;
    private final Clock clock;
    private final Sleeper sleeper;

    private SignetClient(Builder b) {
        this.base = b.base;
        this.credential = b.credential;
        this.issuer = b.issuer != null ? b.issuer : base.toString().replaceAll("/$", "");
        this.ownsHttp = b.http == null;
        this.http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(b.attemptTimeout).build();
        this.attemptTimeout = b.attemptTimeout;
        this.deadline = b.deadline;
        this.maxAttempts = b.maxAttempts;
        this.budget = new RetryBudget(b.retryRatio, b.maxRetryTokens);
        this.clock = b.clock;
        this.sleeper = b.sleeper;
    }

    public static Builder builder(URI base) {
        return new Builder(base);
    }

    /**
     * @throws SignetProblemException the problem Signet answered with (after retries, for 429/503)
     * @throws java.io.UncheckedIOException when Signet could not be reached before the deadline
     */
    public Token mint(TokenRequest request) {
        Map<String, Object> body = call("/v1/tokens", JSONObjectUtils.toJSONString(request.toJson()), 201);
        return token(body);
    }

    /** Up to the daemon's {@code max-batch} requests in one call; results in request order. */
    public List<BatchResult> mintBatch(List<TokenRequest> requests) {
        List<Object> items = new ArrayList<>(requests.size());
        for (TokenRequest r : requests) {
            items.add(r.toJson());
        }
        Map<String, Object> body = call("/v1/tokens/batch", JSONObjectUtils.toJSONString(Map.of("requests", items)), 200);
        List<BatchResult> results = new ArrayList<>();
        try {
            for (Map<String, Object> item : JSONObjectUtils.getJSONObjectArray(body, "results")) {
                Map<String, Object> problem = JSONObjectUtils.getJSONObject(item, "problem");
                results.add(problem != null ? new BatchResult(null, problem(problem, null, null))
                        : new BatchResult(token(item), null));
            }
        } catch (ParseException e) {
            throw new IllegalStateException("Signet answered a batch without results: " + e.getMessage(), e);
        }
        return results;
    }

    private static Token token(Map<String, Object> body) {
        try {
            return new Token(JSONObjectUtils.getString(body, "token"), JSONObjectUtils.getString(body, "kid"),
                    Instant.parse(JSONObjectUtils.getString(body, "expires_at")));
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException("Signet answered without a token: " + e.getMessage(), e);
        }
    }

    /**
     * RFC 8693 token exchange at {@code /v1/token-exchange}: no minter credential (the caller holds the parent and
     * proves it). A 503 {@code temporarily_unavailable} is retried like a mint's when the request signs its proofs per
     * attempt ({@link ExchangeRequest}).
     *
     * @throws OAuthErrorException the RFC 6749 error Signet answered with
     * @throws java.io.UncheckedIOException when Signet could not be reached before the deadline
     */
    public ExchangedToken exchange(ExchangeRequest request) {
        String htu = issuer + "/v1/token-exchange";
        Map<String, Object> body = attempt(() -> {
            Instant now = clock.instant();
            StringBuilder form = new StringBuilder();
            request.form(issuer, now).forEach((k, v) -> form.append(form.isEmpty() ? "" : "&")
                    .append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/token-exchange"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString(), StandardCharsets.US_ASCII));
            String dpop = request.dpop(htu, now);
            if (dpop != null) {
                b.header("DPoP", dpop);
            }
            return b;
        }, res -> {
            Map<String, Object> json = parse(res.body());
            if (res.statusCode() == 200) {
                return json;
            }
            Duration retryAfter = seconds(res.headers().firstValue("Retry-After").orElse(null));
            OAuthErrorException e = new OAuthErrorException(Objects.toString(json.get("error"), "invalid_request"),
                    Objects.toString(json.get("error_description"), ""), res.statusCode(), retryAfter);
            if (res.statusCode() == 503 && request.repeatable()) {
                throw new Retry(e, retryAfter);
            }
            throw e;
        });
        try {
            return new ExchangedToken(JSONObjectUtils.getString(body, "access_token"),
                    JSONObjectUtils.getString(body, "token_type"),
                    Duration.ofSeconds(JSONObjectUtils.getLong(body, "expires_in")));
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException("Signet answered the exchange without a token: " + e.getMessage(), e);
        }
    }

    private Map<String, Object> call(String path, String json, int expected) {
        return attempt(() -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
            if (credential != null) {
                b.header("Authorization", "Bearer " + credential);
            }
            return b;
        }, res -> {
            if (res.statusCode() == expected) {
                return parse(res.body());
            }
            Problem p = problem(parse(res.body()), res.headers().firstValue("Retry-After").orElse(null),
                    res.headers().firstValue("X-Request-Id").orElse(null), res.statusCode());
            SignetProblemException failure = new SignetProblemException(p);
            if (!p.retryable()) {
                throw failure;
            }
            throw new Retry(failure, p.retryAfter());
        });
    }

    /** An answer that says "later": the failure to throw if no retry is left, and Retry-After when given. */
    private static final class Retry extends Exception {
        final RuntimeException failure;
        final Duration hint;

        Retry(RuntimeException failure, Duration hint) {
            super(null, null, false, false);
            this.failure = failure;
            this.hint = hint;
        }
    }

    @FunctionalInterface
    private interface Answer {
        Map<String, Object> read(HttpResponse<String> res) throws Retry;
    }

    /** One call: a fresh request per attempt, retried on {@link Retry} and on connections that could not be made. */
    private Map<String, Object> attempt(java.util.function.Supplier<HttpRequest.Builder> request, Answer answer) {
        Instant end = clock.instant().plus(deadline);
        budget.onRequest();
        for (int attempt = 1; ; attempt++) {
            Duration left = Duration.between(clock.instant(), end);
            HttpRequest built = request.get()
                    .timeout(min(attemptTimeout, left.isNegative() ? Duration.ofMillis(1) : left)).build();
            Duration wait;
            RuntimeException failure;
            try {
                return answer.read(http.send(built, HttpResponse.BodyHandlers.ofString()));
            } catch (Retry r) {
                failure = r.failure;
                wait = r.hint != null ? r.hint : backoff(attempt);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                failure = new java.io.UncheckedIOException("cannot reach Signet at " + base + ": " + e, e);
                wait = backoff(attempt);
            } catch (IOException e) {
                // The request may have reached Signet; a mint is not repeated blindly.
                throw new java.io.UncheckedIOException("Signet at " + base + " did not answer: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            Duration jittered = jitter(wait);
            if (attempt >= maxAttempts || clock.instant().plus(jittered).isAfter(end) || !budget.tryRetry()) {
                throw failure;
            }
            try {
                sleeper.sleep(jittered);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
        }
    }

    private static Duration seconds(String retryAfter) {
        return retryAfter != null && retryAfter.matches("\\d{1,6}") ? Duration.ofSeconds(Long.parseLong(retryAfter)) : null;
    }

    /** Retry-After is a floor: wait it plus up to half again, so clients told the same thing spread out. */
    private static Duration jitter(Duration wait) {
        long ms = Math.max(1, wait.toMillis());
        return Duration.ofMillis(ms + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
    }

    private static Duration backoff(int attempt) {
        return Duration.ofMillis(100L << Math.min(attempt - 1, 6));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Map<String, Object> parse(String body) {
        try {
            return JSONObjectUtils.parse(body);
        } catch (ParseException e) {
            throw new IllegalStateException("Signet answered with something that is not JSON", e);
        }
    }

    private static Problem problem(Map<String, Object> p, String retryAfterHeader, String requestId) {
        return problem(p, retryAfterHeader, requestId, -1);
    }

    private static Problem problem(Map<String, Object> p, String retryAfterHeader, String requestId, int httpStatus) {
        Object status = p.get("status");
        Duration retryAfter = null;
        if (retryAfterHeader != null && retryAfterHeader.matches("\\d{1,6}")) {
            retryAfter = Duration.ofSeconds(Long.parseLong(retryAfterHeader));
        } else if (p.get("retry_after") instanceof Number n) {
            retryAfter = Duration.ofSeconds(n.longValue());
        }
        Object rid = p.get("request_id");
        return new Problem(Objects.toString(p.get("type"), "about:blank"),
                status instanceof Number n ? n.intValue() : httpStatus,
                Objects.toString(p.get("title"), ""), Objects.toString(p.get("detail"), ""), retryAfter,
                rid instanceof String s ? s : requestId);
    }

    @Override
    public void close() {
        if (ownsHttp) {
            http.close();
        }
    }

    /** Retries may be at most {@code ratio} of requests (plus a small reserve), so retries never multiply load. */
    static final class RetryBudget {
        private final double ratio;
        private final double max;
        private double tokens;

        RetryBudget(double ratio, double max) {
            this.ratio = ratio;
            this.max = max;
            this.tokens = max;
        }

        synchronized void onRequest() {
            tokens = Math.min(max, tokens + ratio);
        }

        synchronized boolean tryRetry() {
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    public static final class Builder {
        private final URI base;
        private String credential;
        private String issuer;
        private HttpClient http;
        private Duration attemptTimeout = Duration.ofSeconds(5);
        private Duration deadline = Duration.ofSeconds(15);
        private int maxAttempts = 4;
        private double retryRatio = 0.1;
        private double maxRetryTokens = 10;
        private Clock clock = Clock.systemUTC();
        private Sleeper sleeper = d -> Thread.sleep(d.toMillis());

        private Builder(URI base) {
            this.base = Objects.requireNonNull(base, "base");
        }

        /** The minter's bearer credential (sent as {@code Authorization: Bearer} on mints); never logged. */
        public Builder credential(String credential) {
            this.credential = credential;
            return this;
        }

        /**
         * Signet's issuer URL ({@code signet.issuer}), which DPoP proofs and actor tokens name; needed for
         * {@link SignetClient#exchange} when Signet is reached at another URL (a load balancer, a port). Default: the
         * base URL.
         */
        public Builder issuer(String issuer) {
            this.issuer = issuer.replaceAll("/$", "");
            return this;
        }

        /** An HttpClient of your own, e.g. with an SSLContext for TLS / client certificates. */
        public Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        public Builder attemptTimeout(Duration d) {
            this.attemptTimeout = d;
            return this;
        }

        /** The whole call, retries included. */
        public Builder deadline(Duration d) {
            this.deadline = d;
            return this;
        }

        public Builder maxAttempts(int n) {
            this.maxAttempts = n;
            return this;
        }

        /** Retries allowed per request on average ({@code ratio}) and in a burst ({@code reserve}). */
        public Builder retryBudget(double ratio, double reserve) {
            this.retryRatio = ratio;
            this.maxRetryTokens = reserve;
            return this;
        }

        public Builder clock(Clock clock, Sleeper sleeper) {
            this.clock = clock;
            this.sleeper = sleeper;
            return this;
        }

        /**
         * Without a credential, {@code mint} authenticates by the client certificate of your {@link #httpClient}
         * alone (a certificate-only minter), and {@code exchange} needs none.
         */
        public SignetClient build() {
            return new SignetClient(this);
        }
    }
}
