package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one error seam, on a routing of its own: server-side failures reach the client generic, the log in full. */
class ProblemsTest {

    static final String INTERNALS = "AWS KMS Sign: SdkClientException caused by ConnectException; CKR_OBJECT_HANDLE_INVALID"
            + " in /usr/lib/softhsm/libsofthsm2.so";

    WebServer server;
    HttpClient http = HttpClient.newHttpClient();
    final List<LogRecord> records = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() {
        Logger.getLogger(Problems.class.getName()).addHandler(capture);
        server = WebServer.builder().port(0).host("127.0.0.1").routing(r -> {
            r.addFilter(RequestId::filter)
                    .get("/unavailable", (req, res) -> {
                        throw new SignetException(Code.UNAVAILABLE, INTERNALS, Duration.ofSeconds(3), null);
                    })
                    .get("/throttled", (req, res) -> {
                        throw new SignetException(Code.RESOURCE_EXHAUSTED, INTERNALS, Duration.ofSeconds(2), null);
                    })
                    .get("/internal", (req, res) -> {
                        throw new SignetException(Code.INTERNAL, INTERNALS);
                    })
                    .get("/bug", (req, res) -> {
                        throw new IllegalStateException(INTERNALS);
                    })
                    .get("/refused", (req, res) -> {
                        throw new SignetException(Code.PERMISSION_DENIED, "audience 'x' is outside the policy");
                    });
            Problems.register(r);
        }).build().start();
    }

    @AfterEach
    void stop() {
        server.stop();
        http.close();
        Logger.getLogger(Problems.class.getName()).removeHandler(capture);
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("X-Request-Id", "req" + path.substring(1)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serverSideFailuresGetAGenericDetailAndTheLogGetsTheRest() throws Exception {
        for (var c : Map.of("/unavailable", 503, "/throttled", 429, "/internal", 500, "/bug", 500).entrySet()) {
            HttpResponse<String> res = get(c.getKey());
            assertEquals((int) c.getValue(), res.statusCode(), res.body());
            assertFalse(res.body().contains("KMS") || res.body().contains("CKR_") || res.body().contains("softhsm")
                    || res.body().contains("Exception"), res.body());
            Map<String, Object> problem = JSONObjectUtils.parse(res.body());
            String id = "req" + c.getKey().substring(1);
            assertEquals(id, problem.get("request_id"));
            assertTrue(records.stream().anyMatch(r -> r.getMessage().contains("request " + id)
                            && (r.getMessage().contains("CKR_OBJECT_HANDLE_INVALID")
                            || r.getThrown() != null && r.getThrown().getMessage().contains("CKR_OBJECT_HANDLE_INVALID"))),
                    "the operator log has the detail under " + id);
        }
        assertEquals("3", get("/unavailable").headers().firstValue("Retry-After").orElse(""));
    }

    @Test
    void clientErrorsKeepTheirDetail() throws Exception {
        HttpResponse<String> res = get("/refused");
        assertEquals(403, res.statusCode());
        assertEquals("audience 'x' is outside the policy", JSONObjectUtils.parse(res.body()).get("detail"));
        assertEquals("urn:signet:problem:permission-denied", JSONObjectUtils.parse(res.body()).get("type"));
    }
}
