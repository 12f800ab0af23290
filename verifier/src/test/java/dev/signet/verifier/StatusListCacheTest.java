package dev.signet.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A list is kept for min(ttl, max-age), refetched after, used stale for at most maxStale while fetches fail. */
class StatusListCacheTest {

    static final String URI = StatusVectorWriter.LISTS + "r1-0";
    Instant now = Instant.ofEpochSecond(VectorWriter.NOW);
    final Clock clock = new Clock() {
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }
    };

    @Test
    void keptForItsTtlThenRefetchedAndFailsClosedWhenStaleTooLong() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
        AtomicReference<StatusListCache.Response> served = new AtomicReference<>(
                new StatusListCache.Response(200, StatusVectorWriter.list(key, URI, new byte[16], VectorWriter.NOW + 3600),
                        Optional.of("public, max-age=30")));
        StatusListCache cache = new StatusListCache(VectorWriter.ISSUER, kid -> key.toPublicJWK(), uri -> {
            StatusListCache.Response r = served.get();
            if (r == null) {
                throw new IOException("down");
            }
            return r;
        }, clock, Duration.ofSeconds(300), Duration.ofSeconds(120));

        assertEquals(0, cache.statusOf(URI, 5));
        byte[] revoked = new byte[16];
        revoked[0] = 0b10_0000;
        served.set(new StatusListCache.Response(200, StatusVectorWriter.list(key, URI, revoked, VectorWriter.NOW + 3600),
                Optional.empty()));
        now = now.plusSeconds(29);
        assertEquals(0, cache.statusOf(URI, 5), "max-age 30 s (shorter than ttl 60 s) not over yet");
        assertEquals(1, cache.fetches());
        now = now.plusSeconds(1);
        assertEquals(1, cache.statusOf(URI, 5), "refetched after max-age: the revocation is seen");
        assertEquals(2, cache.fetches());

        served.set(null);
        now = now.plusSeconds(60 + 119);
        assertEquals(1, cache.statusOf(URI, 5), "the issuer is down: the cached list serves for maxStale");
        now = now.plusSeconds(1);
        Rejected r = assertThrows(Rejected.class, () -> cache.statusOf(URI, 5));
        assertEquals("status_unavailable", r.reason());
        now = now.plusMillis(100);
        assertThrows(Rejected.class, () -> cache.statusOf(URI, 5));
        int fetches = cache.fetches();
        now = now.plusMillis(100);
        assertThrows(Rejected.class, () -> cache.statusOf(URI, 5));
        assertEquals(fetches, cache.fetches(), "a failing list is retried at most once a second");
    }

    @Test
    void aZipBombOrGarbageIsNotTrusted() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
        String bomb = StatusVectorWriter.list(key, URI, new byte[StatusListCache.MAX_BYTES + 1], VectorWriter.NOW + 3600);
        for (String body : new String[] {bomb, "not a jwt", ""}) {
            StatusListCache cache = new StatusListCache(VectorWriter.ISSUER, kid -> key.toPublicJWK(),
                    uri -> new StatusListCache.Response(200, body, Optional.empty()), clock, Duration.ofSeconds(60),
                    Duration.ZERO);
            assertEquals("status_unavailable", assertThrows(Rejected.class, () -> cache.statusOf(URI, 0)).reason());
        }
    }
}
