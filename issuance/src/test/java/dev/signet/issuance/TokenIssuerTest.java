package dev.signet.issuance;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenIssuerTest {

    static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

    @TempDir
    Path dir;

    SigningKey key(SigningAlgorithm alg) {
        return new SoftwareKeyBackend(dir.resolve("k.p12"), "pw".toCharArray(), Clock.systemUTC()).generate(alg);
    }

    TokenRequest request(Duration ttl, String subject) {
        return new TokenRequest(subject, "https://svc", ttl,
                List.of(new ScopeItem("repo:a/\"quoted\"\n", List.of("read", "wri\\te"))), Optional.of("t-1"));
    }

    @Test
    void expIsClampedToTheEndOfTheKeysPublication() throws Exception {
        TokenIssuer issuer = new TokenIssuer("https://iss", Clock.fixed(NOW, ZoneOffset.UTC));
        MintedToken t = issuer.issue(key(SigningAlgorithm.ES256), "m", request(Duration.ofHours(1), "s"), NOW.plusSeconds(90));
        assertEquals(NOW.plusSeconds(90), t.expiresAt());
        assertEquals(NOW.plusSeconds(90), SignedJWT.parse(t.token()).getJWTClaimsSet().getExpirationTime().toInstant());
    }

    @Test
    void aKeyAtTheEndOfItsPublicationRefusesToSign() {
        TokenIssuer issuer = new TokenIssuer("https://iss", Clock.fixed(NOW, ZoneOffset.UTC));
        SignetException e = assertThrows(SignetException.class,
                () -> issuer.issue(key(SigningAlgorithm.ES256), "m", request(Duration.ofHours(1), "s"), NOW));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertTrue(e.retryAfter().isPresent());
    }

    @Test
    void claimsSurviveJsonEscapingAndVerifyForEveryAlgorithm() throws Exception {
        TokenIssuer issuer = new TokenIssuer("https://iss", Clock.fixed(NOW, ZoneOffset.UTC));
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            SigningKey key = key(alg);
            MintedToken t = issuer.issue(key, "minter\u2028x", request(Duration.ofMinutes(5), "agent \"7\"\t\u0001"), Instant.MAX);
            assertTrue(JwsVerification.verifies(t.token(), Jwks.publicJwk(key)), alg.name());
            SignedJWT jwt = SignedJWT.parse(t.token());
            assertEquals("at+jwt", jwt.getHeader().getType().getType());
            assertEquals(key.id(), jwt.getHeader().getKeyID());
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            assertEquals("agent \"7\"\t\u0001", c.getSubject());
            assertEquals("minter\u2028x", c.getStringClaim("client_id"));
            assertEquals(NOW.getEpochSecond(), c.getIssueTime().toInstant().getEpochSecond());
            assertEquals(NOW.getEpochSecond(), c.getNotBeforeTime().toInstant().getEpochSecond());
            assertEquals(NOW.plusSeconds(300), c.getExpirationTime().toInstant());
            assertEquals(t.jti(), c.getJWTID());
            @SuppressWarnings("unchecked")
            var detail = (java.util.Map<String, Object>) c.getListClaim("authorization_details").getFirst();
            assertEquals("repo:a/\"quoted\"\n", detail.get("identifier"));
            assertEquals(List.of("read", "wri\\te"), detail.get("actions"));
        }
    }
}
