package dev.signet.verifier;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Proof checks beyond the vectors: the iat window both ways and replays within the window. */
class DpopVerifierTest {

    static final String URI = VectorWriter.URI;

    @Test
    void iatOutsideTheWindowAndReplaysAreRefused() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        String jkt = key.computeThumbprint().toString();
        Instant now = Instant.ofEpochSecond(VectorWriter.NOW);
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        DpopVerifier dpop = new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 10));
        String proof = VectorWriter.proof(key, "GET", URI + "?page=2", "tok", "j1");
        assertEquals(jkt, dpop.check(proof, "GET", URI, "tok", jkt).jkt(), "query is not part of htu");
        assertEquals("dpop_replay", assertThrows(Rejected.class, () -> dpop.check(proof, "GET", URI, "tok", jkt)).reason());

        DpopVerifier later = new DpopVerifier(Clock.fixed(now.plusSeconds(61), ZoneOffset.UTC), Duration.ofSeconds(60),
                new ReplayCache(clock, 10));
        assertEquals("dpop_iat", assertThrows(Rejected.class,
                () -> later.check(VectorWriter.proof(key, "GET", URI, "tok", "j2"), "GET", URI, "tok", jkt)).reason());
        DpopVerifier earlier = new DpopVerifier(Clock.fixed(now.minusSeconds(61), ZoneOffset.UTC), Duration.ofSeconds(60),
                new ReplayCache(clock, 10));
        assertEquals("dpop_iat", assertThrows(Rejected.class,
                () -> earlier.check(VectorWriter.proof(key, "GET", URI, "tok", "j3"), "GET", URI, "tok", jkt)).reason());
    }

    @Test
    void theThumbprintIsNimbusRfc7638ForEveryKey() throws Exception {
        for (int i = 0; i < 50; i++) {
            ECKey key = new ECKeyGenerator(Curve.P_256).generate().toPublicJWK();
            assertEquals(key.computeThumbprint("SHA-256").toString(), DpopVerifier.thumbprint(key));
        }
        // Coordinates spelled with padding take Nimbus' own path, whose answer they keep.
        ECKey key = new ECKeyGenerator(Curve.P_256).generate().toPublicJWK();
        ECKey padded = ECKey.parse(key.toJSONString().replace("\"x\":\"" + key.getX(), "\"x\":\"" + key.getX() + "="));
        assertEquals(padded.computeThumbprint("SHA-256").toString(), DpopVerifier.thumbprint(padded));
        ECKey other = new ECKeyGenerator(Curve.P_384).generate().toPublicJWK();
        assertEquals(other.computeThumbprint("SHA-256").toString(), DpopVerifier.thumbprint(other));
        com.nimbusds.jose.jwk.RSAKey rsa = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).generate().toPublicJWK();
        assertEquals(rsa.computeThumbprint("SHA-256").toString(), DpopVerifier.thumbprint(rsa));
    }

    @Test
    void aFullReplayCacheFailsClosed() {
        Instant now = Instant.ofEpochSecond(VectorWriter.NOW);
        ReplayCache cache = new ReplayCache(Clock.fixed(now, ZoneOffset.UTC), 2);
        assertEquals(true, cache.firstUse("a", now.plusSeconds(10)));
        assertEquals(true, cache.firstUse("b", now.plusSeconds(10)));
        assertEquals(false, cache.firstUse("c", now.plusSeconds(10)));
        assertEquals(false, cache.firstUse("a", now.plusSeconds(10)));
    }
}
