package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A real Signet on loopback (free ports, software backend in a temp dir) with two minters:
 * {@code alpha} (audience {@code https://alpha.example}, resources {@code repo:alpha/*}, read/write, 1 h)
 * and {@code beta} (audience {@code https://beta.example}, resources {@code repo:beta/*}, read, 5 min).
 */
final class TestDaemon implements AutoCloseable {

    static final String ALPHA = "alpha-credential-0123456789abcdef";
    static final String BETA = "beta-credential-0123456789abcdef";
    static final String ADMIN = "admin-credential-0123456789abcdef";

    final Daemon daemon;
    final SignetConfig config;
    final HttpClient http = HttpClient.newHttpClient();
    /** "SOCKET METHOD /template" of every documented operation this daemon was called on. */
    final java.util.Set<String> operations = java.util.concurrent.ConcurrentHashMap.newKeySet();

    TestDaemon(Path dataDir) {
        this(dataDir, Map.of());
    }

    TestDaemon(Path dataDir, Map<String, String> overrides) {
        this(dataDir, overrides, Clock.systemUTC());
    }

    TestDaemon(Path dataDir, Map<String, String> overrides, Clock clock) {
        Map<String, String> c = new HashMap<>();
        c.put("signet.issuer", "https://signet.test");
        c.put("signet.port", "0");
        c.put("signet.admin.port", "0");
        c.put("signet.data-dir", dataDir.toString());
        c.put("signet.max-body-bytes", "4096");
        c.put("signet.max-batch", "10");
        c.put("signet.rotation.jwks-max-age", "120");
        c.put("signet.admin.credential-hash", CredentialHash.of(ADMIN).text());
        c.put("signet.backend.type", "software");
        c.put("signet.minters.0.name", "alpha");
        c.put("signet.minters.0.credential-hash", CredentialHash.of(ALPHA).text());
        c.put("signet.minters.0.audiences.0", "https://alpha.example");
        c.put("signet.minters.0.resources.0", "repo:alpha/*");
        c.put("signet.minters.0.actions.0", "read");
        c.put("signet.minters.0.actions.1", "write");
        c.put("signet.minters.0.max-ttl", "PT1H");
        c.put("signet.minters.1.name", "beta");
        c.put("signet.minters.1.credential-hash", CredentialHash.of(BETA).text());
        c.put("signet.minters.1.audiences.0", "https://beta.example");
        c.put("signet.minters.1.resources.0", "repo:beta/*");
        c.put("signet.minters.1.actions.0", "read");
        c.put("signet.minters.1.max-ttl", "300");
        c.putAll(overrides);
        config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build());
        daemon = Daemon.start(config, clock);
    }

    String base() {
        return "http://127.0.0.1:" + daemon.server().port();
    }

    String adminBase() {
        return "http://127.0.0.1:" + daemon.server().adminPort();
    }

    String jwksUrl() {
        return base() + "/.well-known/jwks.json";
    }

    HttpResponse<String> post(String path, String credential, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    HttpResponse<String> mint(String credential, String body) {
        return post("/v1/tokens", credential, "application/json", body);
    }

    HttpResponse<String> get(String url, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    /** Sends, then checks the exchange against the socket's OpenAPI document ({@link OpenApiContract}). */
    HttpResponse<String> send(HttpRequest request) {
        HttpResponse<String> res;
        try {
            res = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("request failed: " + request, e);
        }
        conforms(request, res);
        return res;
    }

    /** Fails the calling test when the document does not describe this exchange with this daemon. */
    void conforms(HttpRequest request, HttpResponse<String> res) {
        int port = request.uri().getPort();
        OpenApiContract.Socket socket = port == daemon.server().port() ? OpenApiContract.Socket.PUBLIC
                : port == daemon.server().adminPort() ? OpenApiContract.Socket.ADMIN : null;
        if (socket == null) {
            return;
        }
        OpenApiContract contract = OpenApiContract.of(socket);
        OpenApiContract.Exchange exchange = new OpenApiContract.Exchange(request.method(), request.uri(),
                request.headers().firstValue("Content-Type").orElse(null), RequestBodyText.of(request),
                res.statusCode(), res.headers().firstValue("Content-Type").orElse(null), res.body(),
                res.headers().map());
        String issuerPath = URI.create(config.issuer()).getRawPath().replaceAll("/$", "");
        contract.assertConforms(exchange, issuerPath);
        String operation = contract.operation(exchange, issuerPath);
        if (operation != null) {
            operations.add(socket + " " + operation);
        }
    }

    static Map<String, Object> json(HttpResponse<String> res) {
        try {
            return JSONObjectUtils.parse(res.body());
        } catch (ParseException e) {
            throw new AssertionError("not JSON: " + res.body(), e);
        }
    }

    static String request(String sub, String aud, long ttl, String resource, String action) {
        return "{\"sub\":\"" + sub + "\",\"aud\":\"" + aud + "\",\"ttl\":" + ttl
                + ",\"scope\":[{\"resource\":\"" + resource + "\",\"actions\":[\"" + action + "\"]}]}";
    }

    @Override
    public void close() {
        daemon.close();
        http.close();
    }
}
