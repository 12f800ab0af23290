package dev.signet.verifier;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The JWKS is kept as Cache-Control says, refetched for an unknown kid at most once per cooldown. */
class JwksCacheTest {

    HttpServer server;
    final AtomicReference<JWKSet> served = new AtomicReference<>();
    final AtomicReference<String> cacheControl = new AtomicReference<>("public, max-age=300");
    Instant now = Instant.parse("2026-11-30T10:00:00Z");
    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    JwksCache cache;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks", x -> {
            byte[] body = served.get().toString().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Cache-Control", cacheControl.get());
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        cache = new JwksCache(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks"),
                HttpClient.newHttpClient(), clock, Duration.ofMinutes(1), Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static ECKey key(String kid) throws Exception {
        return new ECKeyGenerator(Curve.P_256).keyID(kid).generate().toPublicJWK();
    }

    @Test
    void keptForMaxAgeThenRefetched() throws Exception {
        served.set(new JWKSet(key("a")));
        assertNotNull(cache.key("a"));
        assertNotNull(cache.key("a"));
        assertEquals(1, cache.fetches());
        now = now.plusSeconds(299);
        cache.key("a");
        assertEquals(1, cache.fetches());
        now = now.plusSeconds(1);
        cache.key("a");
        assertEquals(2, cache.fetches());
    }

    @Test
    void anUnknownKidRefetchesOncePerCooldown() throws Exception {
        served.set(new JWKSet(key("a")));
        cache.key("a");
        served.set(new JWKSet(java.util.List.of(key("a"), key("b"))));
        now = now.plusSeconds(31);
        assertNotNull(cache.key("b"), "a key published since the last fetch is found by refetching");
        assertEquals(2, cache.fetches());
        for (int i = 0; i < 50; i++) {
            assertNull(cache.key("forged-" + i));
        }
        assertEquals(2, cache.fetches(), "forged kids within the cooldown cause no fetch");
        now = now.plusSeconds(30);
        assertNull(cache.key("forged"));
        assertEquals(3, cache.fetches());
    }

    @Test
    void cacheControlIsRead() {
        assertEquals(Duration.ofSeconds(120), cache.maxAge(Optional.of("public, max-age=120")));
        assertEquals(Duration.ZERO, cache.maxAge(Optional.of("no-store")));
        assertEquals(Duration.ofMinutes(1), cache.maxAge(Optional.empty()));
        assertEquals(Duration.ofMinutes(1), cache.maxAge(Optional.of("s-maxage=5")));
    }
}
