package dev.signet.bench;

import dev.signet.ops.TlsClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An HTTP load generator for the signing API, run as its own process on loopback.
 *
 * <pre>
 * saturate URL CREDENTIAL CONNECTIONS SECONDS BATCH   closed loop: tokens/s at saturation
 * rate     URL CREDENTIAL RATE SECONDS BATCH          open loop at RATE requests/s: latency percentiles,
 *                                                     measured from each request's scheduled start
 * </pre>
 * BATCH 0 posts to /v1/tokens, BATCH n posts n requests to /v1/tokens/batch. Bounded in count and time.
 * Leading {@code --cacert PEM [--cert PEM --key PEM]} target an https URL (client certificate for mTLS).
 */
public final class LoadGenerator {

    private static final int MAX_SAMPLES = 2_000_000;
    static final int OPEN_LOOP_WORKERS = 64;

    private LoadGenerator() {
    }

    public static void main(String[] argv) throws Exception {
        java.util.Deque<String> rest = new java.util.ArrayDeque<>(Arrays.asList(argv));
        Path cacert = null;
        Path cert = null;
        Path key = null;
        while (!rest.isEmpty() && rest.peek().startsWith("--")) {
            String opt = rest.pop();
            if (rest.isEmpty()) {
                throw new IllegalArgumentException(opt + " needs a file");
            }
            Path file = Path.of(rest.pop());
            switch (opt) {
                case "--cacert" -> cacert = file;
                case "--cert" -> cert = file;
                case "--key" -> key = file;
                default -> throw new IllegalArgumentException("unknown option " + opt + " (--cacert, --cert, --key)");
            }
        }
        String[] args = rest.toArray(String[]::new);
        String mode = args[0];
        String url = args[1];
        String credential = args[2];
        int n = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        String one = "{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
                + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}";
        String body = batch == 0 ? one : "{\"requests\":[" + String.join(",", java.util.Collections.nCopies(batch, one)) + "]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + (batch == 0 ? "/v1/tokens" : "/v1/tokens/batch")))
                .header("Authorization", "Bearer " + credential).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        int tokensPerRequest = Math.max(1, batch);
        try (HttpClient client = client(cacert, cert, key)) {
            // warm up the JITs on both sides
            runClosed(client, request, Math.min(n, 8), 3, new long[MAX_SAMPLES], new AtomicLong());
            if (mode.equals("saturate")) {
                long[] samples = new long[MAX_SAMPLES];
                AtomicLong count = new AtomicLong();
                long errors = runClosed(client, request, n, seconds, samples, count);
                report("saturate", count.get(), errors, seconds, tokensPerRequest, samples);
            } else {
                long[] samples = new long[MAX_SAMPLES];
                AtomicLong count = new AtomicLong();
                long errors = runOpen(client, request, n, seconds, samples, count);
                report("rate " + n + "/s", count.get(), errors, seconds, tokensPerRequest, samples);
            }
        }
    }

    /** HTTP/1.1 like the bench's other clients; TLS from PEM files when cacert or cert is given. */
    static HttpClient client(Path cacert, Path cert, Path key) throws java.io.IOException {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        if (cacert != null || cert != null) {
            b.sslContext(TlsClient.context(cacert, cert, key));
        }
        return b.build();
    }

    static long runClosed(HttpClient client, HttpRequest request, int connections, int seconds, long[] samples,
                          AtomicLong count) throws InterruptedException {
        return runClosed(client, request, connections, seconds, Long.MAX_VALUE, samples, count);
    }

    /** Closed loop until seconds pass or about maxRequests are sent (each connection checks before sending). */
    static long runClosed(HttpClient client, HttpRequest request, int connections, int seconds, long maxRequests,
                          long[] samples, AtomicLong count) throws InterruptedException {
        LongAdder errors = new LongAdder();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < connections; c++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end && count.get() < maxRequests) {
                        long t0 = System.nanoTime();
                        if (!send(client, request)) {
                            errors.increment();
                        }
                        record(samples, count, System.nanoTime() - t0);
                    }
                });
            }
        }
        return errors.sum();
    }

    /**
     * Open loop with a bounded pool: request i is due at start + i/rate; a free worker takes the next
     * due request, waits for its time and records latency from that scheduled time, so a slow server
     * shows as latency rather than as a lower request rate. At most {@value #OPEN_LOOP_WORKERS} in flight.
     */
    static long runOpen(HttpClient client, HttpRequest request, int rate, int seconds, long[] samples,
                        AtomicLong count) throws InterruptedException {
        LongAdder errors = new LongAdder();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long total = (long) rate * seconds;
        AtomicLong next = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < OPEN_LOOP_WORKERS; w++) {
                pool.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < total; ) {
                        long scheduled = start + i * interval;
                        long wait = scheduled - System.nanoTime();
                        if (wait > 0) {
                            try {
                                TimeUnit.NANOSECONDS.sleep(wait);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        if (!send(client, request)) {
                            errors.increment();
                        }
                        record(samples, count, System.nanoTime() - scheduled);
                    }
                });
            }
        }
        return errors.sum();
    }

    static boolean send(HttpClient client, HttpRequest request) {
        try {
            HttpResponse<Void> res = client.send(request, HttpResponse.BodyHandlers.discarding());
            return res.statusCode() == 201 || res.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    static void record(long[] samples, AtomicLong count, long nanos) {
        long i = count.getAndIncrement();
        if (i < samples.length) {
            samples[(int) i] = nanos;
        }
    }

    static void report(String what, long requests, long errors, int seconds, int tokensPerRequest, long[] samples) {
        int n = (int) Math.min(requests, samples.length);
        long[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        System.out.printf("%s: requests=%d errors=%d requests/s=%.0f tokens/s=%.0f p50=%.3fms p99=%.3fms p99.9=%.3fms%n",
                what, requests, errors, requests / (double) seconds, requests * tokensPerRequest / (double) seconds,
                pct(s, 0.50), pct(s, 0.99), pct(s, 0.999));
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
