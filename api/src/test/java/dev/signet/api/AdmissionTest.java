package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.audit.DurabilityWait;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admission rule with a controlled concurrency: requests held on a latch fill the bound; the next is refused at once. */
class AdmissionTest {

    final CountDownLatch release = new CountDownLatch(1);
    final Admission admission = new Admission(2, 3);
    final CountDownLatch durable = new CountDownLatch(1);
    WebServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = WebServer.builder().port(0).host("127.0.0.1").routing(r -> {
            r.addFilter(RequestId::filter).addFilter(admission::filter)
                    .get("/sign", (req, res) -> {
                        assertTrue(release.await(60, TimeUnit.SECONDS), "the test releases the held requests");
                        res.send("signed");
                    })
                    // a signed token waiting for its audit record's fsync, as AuditLog's receipt waits
                    .get("/sign-durably", (req, res) -> {
                        DurabilityWait.park(() -> {
                            try {
                                assertTrue(durable.await(60, TimeUnit.SECONDS), "the test makes the records durable");
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        });
                        res.send("signed and recorded");
                    });
            Problems.register(r);
        }).build().start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        durable.countDown();
        server.stop();
        http.close();
    }

    CompletableFuture<HttpResponse<String>> sign(String id) {
        return get("/sign", id);
    }

    CompletableFuture<HttpResponse<String>> get(String path, String id) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("X-Request-Id", id).build(), HttpResponse.BodyHandlers.ofString());
    }

    void waitFor(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.onSpinWait();
        }
    }

    @Test
    void requestsWaitingForDurabilityLendTheirPlacesUpToTheParkedBound() throws Exception {
        // Three parked requests (the parked bound) hold no in-flight place...
        var parked = java.util.stream.IntStream.range(0, 3).mapToObj(i -> get("/sign-durably", "parked-" + i)).toList();
        // A parking request counts itself parked just before it gives its place back: wait for both.
        waitFor(() -> admission.parked() == 3 && admission.inFlight() == 0, "three requests park, lending their places");
        assertEquals(0, admission.inFlight(), "parked requests lend their places");
        // ...so two computing requests are still admitted; a fourth waiting one keeps its place, as before.
        var overParked = get("/sign-durably", "over-parked");
        // Over the bound it counts itself parked for a moment (4) before it keeps its place: wait for both.
        waitFor(() -> admission.inFlight() == 1 && admission.parked() == 3, "the fourth waits holding its place");
        var computing = sign("computing");
        waitFor(() -> admission.inFlight() == 2, "one more is admitted to compute");
        assertEquals(503, sign("refused").get(60, TimeUnit.SECONDS).statusCode(), "the in-flight bound still holds");

        durable.countDown();
        for (var p : parked) {
            assertEquals("signed and recorded", p.get(60, TimeUnit.SECONDS).body(), "a resumed request finishes");
        }
        assertEquals(200, overParked.get(60, TimeUnit.SECONDS).statusCode());
        release.countDown();
        assertEquals(200, computing.get(60, TimeUnit.SECONDS).statusCode());
        waitFor(() -> admission.inFlight() == 0, "every place comes back");
        assertEquals(0, admission.parked());
    }

    @Test
    void beyondTheBoundARequestIsRefusedAtOnceAndThePlaceComesBackWhenOneEnds() throws Exception {
        var first = sign("held-1");
        var second = sign("held-2");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (admission.inFlight() < 2) {
            assertTrue(System.nanoTime() < deadline, "two requests reach the handler");
            Thread.onSpinWait();
        }

        // The bound is full: the third is answered while the other two are still held.
        HttpResponse<String> refused = sign("third").get(60, TimeUnit.SECONDS);
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
        assertEquals(Problems.MEDIA_TYPE, refused.headers().firstValue("Content-Type").orElse(""));
        Map<String, Object> problem = JSONObjectUtils.parse(refused.body());
        assertEquals("urn:signet:problem:overloaded", problem.get("type"));
        assertEquals("third", problem.get("request_id"));
        assertFalse(first.isDone() || second.isDone(), "the held requests are still being served");
        assertEquals(2, admission.inFlight(), "a refusal takes no place");

        release.countDown();
        assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
        assertEquals(200, second.get(60, TimeUnit.SECONDS).statusCode());
        assertEquals(200, sign("after").get(60, TimeUnit.SECONDS).statusCode(), "the places came back");
        // the answer goes out before the filter gives the place back
        waitFor(() -> admission.inFlight() == 0, "every place comes back");
    }

    @Test
    void theBoundIsCountedNotQueued() {
        Admission one = new Admission(1, 0);
        assertTrue(one.tryEnter());
        assertFalse(one.tryEnter());
        one.exit();
        assertTrue(one.tryEnter());
    }

    /** The audit trail writes a group it holds open once nobody admitted is left at work (parked or gone). */
    @Test
    void theLastRequestAtWorkParkingOrLeavingTellsTheTrail() {
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        Admission two = new Admission(10, 5, told::incrementAndGet);
        assertTrue(two.tryEnter());
        assertTrue(two.tryEnter());
        Admission.Place first = two.new Place();
        first.parked();
        assertEquals(0, told.get(), "one request is still at work");
        Admission.Place second = two.new Place();
        second.parked();
        assertEquals(1, told.get(), "both wait for durability: nobody at work");
        first.resumed();
        first.leave();
        assertEquals(2, told.get(), "the first answered and left");
        second.leave();
        assertEquals(3, told.get());
        assertEquals(0, two.inFlight());
    }
}
