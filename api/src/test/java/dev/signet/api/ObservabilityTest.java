package dev.signet.api;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import dev.signet.spi.SignetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JSON access logs joined by request id, and the metrics the alert rules in ops/monitoring depend on. */
class ObservabilityTest {

    @TempDir
    Path dataDir;
    TestDaemon signet;
    final List<String> lines = new ArrayList<>();
    final Logger access = Logger.getLogger("dev.signet.access");
    final JsonLogFormatter json = new JsonLogFormatter();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (lines) {
                lines.add(json.format(r));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    Level before;

    @BeforeEach
    void start() {
        signet = new TestDaemon(dataDir); // first: Helidon's logging setup resets levels
        before = access.getLevel();
        access.setLevel(Level.FINE);
        capture.setLevel(Level.ALL);
        access.addHandler(capture);
    }

    @AfterEach
    void stop() {
        access.removeHandler(capture);
        access.setLevel(before);
        signet.close();
    }

    /** The line is written after the response went out: poll for it, with a deadline far beyond the need. */
    JsonObject lineFor(String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            JsonObject o = find(requestId);
            if (o != null) {
                return o;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line for request " + requestId + " in " + lines);
            }
            Thread.sleep(10);
        }
    }

    JsonObject find(String requestId) {
        synchronized (lines) {
            for (String l : lines) {
                assertTrue(l.endsWith("}\n") && l.indexOf('\n') == l.length() - 1, "one object per line: " + l);
                JsonObject o = JsonParser.parseString(l).getAsJsonObject();
                if (o.has("request_id") && o.get("request_id").getAsString().equals(requestId)) {
                    return o;
                }
            }
            return null;
        }
    }

    HttpResponse<String> mint(String credential, String requestId) {
        return signet.send(HttpRequest.newBuilder(URI.create(signet.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + credential).header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString(TestDaemon.request("agent", "https://alpha.example", 60,
                        "repo:alpha/x", "read"))).build());
    }

    @Test
    void aMintersRequestIdJoinsItsLogLineWithMinterKidOutcomeAndDuration() throws InterruptedException {
        HttpResponse<String> ok = mint(TestDaemon.ALPHA, "minter-line-1");
        assertEquals(201, ok.statusCode(), ok.body());
        JsonObject line = lineFor("minter-line-1");
        assertEquals("http.request", line.get("event").getAsString());
        assertEquals("DEBUG", line.get("level").getAsString());
        assertEquals("alpha", line.get("minter").getAsString());
        assertEquals(TestDaemon.json(ok).get("kid"), line.get("kid").getAsString());
        assertEquals("ok", line.get("outcome").getAsString());
        assertEquals(201, line.get("status").getAsInt());
        assertTrue(line.get("duration_ms").getAsDouble() >= 0);
        assertTrue(line.has("time"));
        assertFalse(line.toString().contains(TestDaemon.json(ok).get("token").toString()), "no token in logs");

        HttpResponse<String> refused = mint("not-a-credential-0123456789abcdef", "minter-line-2");
        assertEquals(401, refused.statusCode());
        JsonObject bad = lineFor("minter-line-2");
        assertEquals("INFO", bad.get("level").getAsString());
        assertEquals("unauthenticated", bad.get("outcome").getAsString());
        assertFalse(bad.toString().contains("not-a-credential"), "no credential in logs");
    }

    @Test
    void plainLinesCarryTheRequestIdOfTheirThreadAndTheFormatIsChecked() {
        LogRecord r = new LogRecord(Level.WARNING, "key {0} is \"odd\"");
        r.setParameters(new Object[] {"k1"});
        r.setLoggerName("x");
        JsonObject o = JsonParser.parseString(json.format(r)).getAsJsonObject();
        assertEquals("log", o.get("event").getAsString());
        assertEquals("WARNING", o.get("level").getAsString());
        assertEquals("key k1 is \"odd\"", o.get("message").getAsString());
        assertFalse(o.has("request_id"), "no request on this thread");

        Config bad = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(Map.of("signet.log.format", "xml"))).build();
        SignetException e = assertThrows(SignetException.class, () -> LogFormat.apply(bad));
        assertTrue(e.getMessage().contains("text or json"), e.getMessage());
    }

    @Test
    void metricsCountTokensPerMinterAndReasonAndTimeRequestsPerEndpoint() {
        assertEquals(201, mint(TestDaemon.ALPHA, "m1").statusCode());
        assertEquals(401, mint("not-a-credential-0123456789abcdef", "m2").statusCode());
        String scrape = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain").body();
        assertTrue(scrape.matches("(?s).*signet_tokens_total\\{[^}]*minter=\"alpha\"[^}]*outcome=\"issued\"[^}]*} [1-9].*"),
                scrape);
        assertTrue(scrape.matches("(?s).*signet_http_request_seconds_bucket\\{[^}]*endpoint=\"/v1/tokens\"[^}]*outcome=\"ok\".*"),
                scrape);
        assertTrue(scrape.contains("outcome=\"unauthenticated\""), scrape);
        assertTrue(scrape.matches("(?s).*signet_keys\\{[^}]*state=\"ACTIVE\"[^}]*} 1\\.0.*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_key_next_transition_seconds\\{[^}]*state=\"ACTIVE\"[^}]*} [1-9].*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_backend_up\\{[^}]*} 1\\.0.*"), scrape);
    }

    @Test
    void backendCallsAreTimedAndCountedPerOperationWithCircuitJournalAgeAndSubkeys() {
        assertEquals(201, mint(TestDaemon.ALPHA, "b1").statusCode());
        SignetException missing = assertThrows(SignetException.class, () -> signet.daemon.backend().get("no-such-kid"));
        assertEquals(SignetException.Code.NOT_FOUND, missing.code());
        String scrape = signet.get(signet.adminBase() + "/observe/metrics", "Accept", "text/plain").body();
        assertTrue(scrape.matches("(?s).*signet_backend_call_seconds_count\\{[^}]*backend=\"software\"[^}]*"
                + "operation=\"sign\"[^}]*} [1-9].*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_backend_call_seconds_bucket\\{[^}]*operation=\"generate\".*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_backend_errors_total\\{[^}]*code=\"NOT_FOUND\"[^}]*operation=\"get\""
                + "[^}]*} [1-9].*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_backend_circuit\\{[^}]*state=\"closed\"[^}]*} 1\\.0.*"), scrape);
        assertTrue(scrape.matches("(?s).*signet_backend_circuit\\{[^}]*state=\"open\"[^}]*} 0\\.0.*"), scrape);
        assertTrue(scrape.matches("(?s).*\nsignet_journal_read_age_seconds[^\n]* [0-9.]+\n.*"), scrape);
        assertTrue(scrape.matches("(?s).*\nsignet_jwks_max_age_seconds[^\n]* 120\\.0\n.*"), scrape);
        assertTrue(scrape.matches("(?s).*\nsignet_subkeys[^\n]* 0\\.0\n.*"), "direct mode: no subkeys " + scrape);
    }
}
