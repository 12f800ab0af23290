package dev.signet.api;

import dev.signet.spi.SignetException;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.signet.api.Delegates.form;
import static dev.signet.api.Delegates.newKey;
import static dev.signet.api.Delegates.post;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-minter rate limits over HTTP, on a clock the test moves: refusals never depend on timing. */
class QuotaApiTest {

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    TestDaemon signet;

    void start() {
        Map<String, String> c = new HashMap<>();
        c.put("signet.minters.0.rate", "1");
        c.put("signet.minters.0.burst", "2");
        c.put("signet.minters.1.rate", "0.5");
        c.put("signet.minters.1.burst", "2");
        c.put("signet.minters.1.delegation.allow-unbound", "true");
        signet = new TestDaemon(dir, c, clock);
    }

    @AfterEach
    void stop() {
        if (signet != null) {
            signet.close();
        }
    }

    HttpResponse<String> alpha() {
        return signet.mint(ALPHA, request("agent", "https://alpha.example", 60, "repo:alpha/x", "read"));
    }

    HttpResponse<String> beta() {
        return signet.mint(BETA, request("agent", "https://beta.example", 60, "repo:beta/x", "read"));
    }

    static void assertRateLimited(HttpResponse<String> r, String retryAfter) {
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(retryAfter, r.headers().firstValue("Retry-After").orElse(null));
        assertEquals("urn:signet:problem:rate-limited", json(r).get("type"));
        assertTrue(((String) json(r).get("detail")).contains("over its rate of"), "its own detail, not the backend's: "
                + r.body());
    }

    @Test
    void beyondTheBurstAMinterGets429UntilItsBucketRefills() {
        start();
        assertEquals(201, alpha().statusCode());
        assertEquals(201, alpha().statusCode());
        assertRateLimited(alpha(), "1");
        assertEquals(201, beta().statusCode(), "beta has its own bucket");
        clock.advance(Duration.ofMillis(999));
        assertRateLimited(alpha(), "1");
        clock.advance(Duration.ofMillis(1));
        assertEquals(201, alpha().statusCode());
        assertRateLimited(alpha(), "1");
    }

    @Test
    void aBatchTakesATokenPerRequestAndOneLargerThanTheBurstIs422() {
        start();
        String two = "{\"requests\":[" + request("a", "https://alpha.example", 60, "repo:alpha/x", "read") + ","
                + request("b", "https://alpha.example", 60, "repo:alpha/x", "read") + "]}";
        String three = two.replace("]}", "," + request("c", "https://alpha.example", 60, "repo:alpha/x", "read") + "]}");
        HttpResponse<String> tooBig = signet.post("/v1/tokens/batch", ALPHA, "application/json", three);
        assertEquals(422, tooBig.statusCode(), "no wait would let 3 through a burst of 2: " + tooBig.body());
        assertEquals(200, signet.post("/v1/tokens/batch", ALPHA, "application/json", two).statusCode());
        // An empty bucket refuses before the body is read, so before the batch's size is known: until one token.
        assertRateLimited(signet.post("/v1/tokens/batch", ALPHA, "application/json", two), "1");
        clock.advance(Duration.ofSeconds(1));
        assertRateLimited(signet.post("/v1/tokens/batch", ALPHA, "application/json", two), "1");
        assertEquals(201, alpha().statusCode(), "the refused batches took nothing");
    }

    @Test
    void anExchangeCountsAgainstTheMinterOfTheChain() {
        start();
        HttpResponse<String> minted = beta();
        assertEquals(201, minted.statusCode());
        String parent = (String) json(minted).get("token");
        Map<String, String> f = form(parent, newKey(), clock, "x");
        f.remove("actor_token");
        f.remove("actor_token_type");
        f.put("actor", "helper");
        assertEquals(200, post(signet, f, null).statusCode());
        HttpResponse<String> refused = post(signet, f, null);
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("slow_down", json(refused).get("error"));
        assertEquals("2", refused.headers().firstValue("Retry-After").orElse(null), "one token at 0.5/s");
        assertRateLimited(beta(), "2");
    }

    @Test
    void aMinterOverItsRateIsRefusedBeforeItsBodyIsReadAndCountedNotLoggedPerRequest() throws Exception {
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (Problems.class.getName().equals(r.getLoggerName())
                        || r.getLoggerName() != null && r.getLoggerName().endsWith("MinterQuotas")) {
                    logged.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            start();
            assertEquals(201, alpha().statusCode());
            assertEquals(201, alpha().statusCode());
            for (int i = 0; i < 20; i++) {
                assertRateLimited(alpha(), "1");
            }
            assertRateLimited(signet.post("/v1/tokens", ALPHA, "application/json", "{not json"), "1");
            assertRateLimited(signet.post("/v1/tokens/batch", ALPHA, "application/json", "[]"), "1");
            String scrape = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain").body();
            assertTrue(scrape.lines().anyMatch(l -> l.startsWith("signet_tokens_total{")
                            && l.contains("minter=\"alpha\"") && l.contains("reason=\"RATE_LIMITED\"") && l.endsWith(" 22.0")),
                    "every refusal counted: " + scrape.lines().filter(l -> l.contains("RATE_LIMITED")).toList());
            signet.close();
            signet = null;
            List<String> lines = logged.stream().map(java.util.logging.LogRecord::getMessage).toList();
            assertEquals(1, lines.size(), "no line per refusal, one summary: " + lines);
            assertTrue(lines.getFirst().startsWith("minter alpha is over its rate"), lines.getFirst());
            String all = String.join("\n", AuditTrailApiTest.lines(AuditTrailApiTest.replicaLog(dir.resolve("audit"))));
            assertFalse(all.contains("\"type\":\"refusal\""), "no audit record per refusal: " + all);
            assertTrue(all.lines().anyMatch(l -> l.contains("\"type\":\"refusals\"") && l.contains("\"client_id\":\"alpha\"")
                    && l.contains("\"reason\":\"RATE_LIMITED\"") && l.contains("\"count\":22")),
                    "one aggregated record: " + all);
        } finally {
            root.removeHandler(capture);
        }
    }

    @Test
    void badRatesAndBurstsStopTheStartWithTheKeyNamed() {
        for (Map<String, String> bad : java.util.List.of(Map.of("signet.minters.0.rate", "0"),
                Map.of("signet.minters.0.rate", "fast"), Map.of("signet.minters.0.rate", "1", "signet.minters.0.burst", "0.5"),
                Map.of("signet.minters.0.burst", "5"))) {
            SignetException e = assertThrows(SignetException.class, () -> new TestDaemon(dir, bad, clock).close());
            assertTrue(e.getMessage().contains("minters.0") && e.getMessage().matches(".*(rate|burst).*"), e.getMessage());
        }
    }
}
