package dev.signet.kms;

import dev.signet.spi.testing.MutableClock;
import com.sun.net.httpserver.HttpServer;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.SignetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Throttling and server faults, which moto never produces, from a real HTTP peer on loopback that answers the
 * way KMS does (AWS JSON 1.1 errors). The SDK, its HTTP client and our retry, budget and breaker code all run
 * for real; only the server's answers are scripted.
 */
class KmsQuotaTest {

    private static final String THROTTLED = "400 ThrottlingException";
    private static final String INTERNAL = "500 KMSInternalException";
    private static final String OK = "200";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
    private final ConcurrentLinkedDeque<String> script = new ConcurrentLinkedDeque<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);
    private HttpServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            String reply = script.isEmpty() ? OK : script.poll();
            if (reply.equals("hang")) {
                try {
                    // Never answers within the test: only the client's call timeout can end the call.
                    released.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reply = OK;
            }
            int status = Integer.parseInt(reply.substring(0, 3));
            String body;
            if (status == 200) {
                body = "{\"Aliases\":[],\"Truncated\":false}";
            } else {
                String type = reply.substring(4);
                exchange.getResponseHeaders().add("x-amzn-ErrorType", type);
                body = "{\"__type\":\"" + type + "\",\"message\":\"scripted\"}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        released.countDown();
        server.stop(0);
    }

    private KmsKeyBackend backend(Map<String, String> extra) {
        Map<String, String> v = new HashMap<>(Map.of(
                "region", "us-east-1",
                "endpoint", "http://127.0.0.1:" + server.getAddress().getPort(),
                "access-key-id-env", "K", "secret-access-key-env", "S",
                "breaker-failures", "2", "breaker-cool-down", "10s"));
        v.putAll(extra);
        BackendSettings s = new BackendSettings(v, Path.of("/nonexistent"), "https://issuer.test", clock,
                Map.of("K", "AKIATEST", "S", "secret")::get);
        return KmsKeyBackendProvider.open(s, KmsOptions.from(s), sleeps::add);
    }

    @Test
    void persistentThrottlingEndsInResourceExhaustedAfterBoundedJitteredRetries() {
        for (int i = 0; i < 10; i++) {
            script.add(THROTTLED);
        }
        try (KmsKeyBackend b = backend(Map.of("max-attempts", "3"))) {
            SignetException e = assertThrowsSignet(b);
            assertEquals(SignetException.Code.RESOURCE_EXHAUSTED, e.code());
            assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow());
            assertEquals(3, requests.get());
            assertEquals(2, sleeps.size());
            assertTrue(sleeps.get(0).compareTo(Duration.ofMillis(50)) <= 0, "first backoff " + sleeps.get(0));
            assertTrue(sleeps.get(1).compareTo(Duration.ofMillis(100)) <= 0, "second backoff " + sleeps.get(1));
            assertTrue(b.degraded().isEmpty(), "throttling is not an outage");
        }
    }

    @Test
    void throttlingThatClearsIsRetriedWithoutTheCallerNoticing() {
        script.add(THROTTLED);
        script.add(THROTTLED);
        try (KmsKeyBackend b = backend(Map.of("max-attempts", "3", "call-timeout", "30s"))) {
            assertEquals(List.of(), b.list());
            assertEquals(3, requests.get());
        }
    }

    @Test
    void serverErrorsOpenTheCircuitAndOneProbeAfterTheCoolDownClosesIt() {
        script.add(INTERNAL);
        script.add(INTERNAL);
        try (KmsKeyBackend b = backend(Map.of())) {
            assertEquals(SignetException.Code.UNAVAILABLE, assertThrowsSignet(b).code());
            assertEquals(SignetException.Code.UNAVAILABLE, assertThrowsSignet(b).code());
            assertEquals(2, requests.get());

            SignetException fast = assertThrowsSignet(b);
            assertEquals(SignetException.Code.UNAVAILABLE, fast.code());
            assertEquals(Duration.ofSeconds(10), fast.retryAfter().orElseThrow());
            assertEquals(2, requests.get(), "an open circuit sends nothing");
            assertTrue(b.degraded().isPresent());

            clock.advance(Duration.ofSeconds(10));
            script.add(INTERNAL);
            assertEquals(SignetException.Code.UNAVAILABLE, assertThrowsSignet(b).code());
            assertEquals(3, requests.get(), "one probe went out");
            assertEquals(SignetException.Code.UNAVAILABLE, assertThrowsSignet(b).code());
            assertEquals(3, requests.get(), "a failed probe reopens the circuit");

            clock.advance(Duration.ofSeconds(10));
            assertEquals(List.of(), b.list());
            assertTrue(b.degraded().isEmpty());
        }
    }

    /** The configured timeout ends the call (its cause says so) long before the peer would answer. */
    @Test
    void aHangingKmsIsCutOffAtTheCallTimeout() {
        script.add("hang");
        try (KmsKeyBackend b = backend(Map.of("call-timeout", "300ms"))) {
            long started = System.nanoTime();
            SignetException e = assertThrowsSignet(b);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(KmsBackendTestBase.endedByTimeout(e), KmsBackendTestBase.chain(e));
            assertTrue(took.compareTo(KmsBackendTestBase.HANG_DEADLINE) < 0, "waited " + took);
            KmsBackendTestBase.assertNoInternals(e.getMessage());
        }
    }

    @Test
    void theLocalBudgetQueuesBrieflyThenRefusesWithoutAskingKms() {
        // One token a second, waits of up to the 1.5 s call timeout: the second call queues, the third is refused.
        // (The call timeout also bounds the HTTP round trip to the local peer, so it is not made tighter.)
        try (KmsKeyBackend b = backend(Map.of("max-requests-per-second", "1", "call-timeout", "1500ms"))) {
            b.list();
            assertEquals(List.of(), sleeps);
            b.list();
            assertEquals(List.of(Duration.ofSeconds(1)), sleeps, "the second call waits for the next token");
            SignetException e = assertThrowsSignet(b);
            assertEquals(SignetException.Code.RESOURCE_EXHAUSTED, e.code());
            assertTrue(e.retryAfter().orElseThrow().compareTo(Duration.ofSeconds(1)) >= 0, "" + e.retryAfter());
            assertEquals(2, requests.get(), "a refused call never reaches KMS");
            clock.advance(Duration.ofSeconds(3));
            b.list();
            assertEquals(3, requests.get());
        }
    }

    private static SignetException assertThrowsSignet(KmsKeyBackend b) {
        return org.junit.jupiter.api.Assertions.assertThrows(SignetException.class, b::list);
    }
}
