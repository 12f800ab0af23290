package dev.signet.issuance;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.signet.audit.AuditTrail;
import dev.signet.rotation.KeyRing;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.verifier.DpopVerifier;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Exchange keeps the published keys' JWKs between exchanges (building one per exchange was a visible cost); a
 * parent is still accepted only while the ring publishes its key, and a newly published key is known at once.
 */
class ExchangePublishedKeysTest {

    static final String HTU = "https://signet.fuzz/v1/token-exchange";

    final SigningKey first = InMemorySigning.generate(SigningAlgorithm.ES256);
    final SigningKey second = InMemorySigning.generate(SigningAlgorithm.ES256);
    volatile SigningKey signing = first;
    volatile List<SigningKey> published = List.of(first);

    final KeyRing ring = new KeyRing() {
        @Override
        public SigningSlot signingSlot() {
            return new SigningSlot(signing, Instant.now().plus(Duration.ofDays(1)));
        }

        @Override
        public List<SigningKey> published() {
            return published;
        }

        @Override
        public Duration jwksMaxAge() {
            return Duration.ofMinutes(5);
        }

        @Override
        public List<KeyView> describe() {
            return List.of();
        }
    };
    final Issuance issuance = new Issuance("https://signet.fuzz", ring, Clock.systemUTC(), AuditTrail.NONE);
    final Exchange exchange = new Exchange(issuance, new Minters(List.of(ExchangeFuzzTest.MINTER)));

    String parent() {
        return issuance.mint(ExchangeFuzzTest.MINTER, Map.of("sub", "agent-7", "aud", "https://api.example.com",
                "ttl", 300, "scope", ExchangeFuzzTest.PARENT_SCOPE,
                "cnf", Map.of("jkt", ExchangeFuzzTest.thumbprint(ExchangeFuzzTest.HOLDER)))).token();
    }

    Exchange.Result exchange(String parent) throws Exception {
        String actor = ExchangeFuzzTest.sign(ExchangeFuzzTest.AGENT, "JWT", new JWTClaimsSet.Builder()
                .subject("sub-agent").audience("https://signet.fuzz").issueTime(new Date())
                .jwtID(UUID.randomUUID().toString()).build());
        String proof = ExchangeFuzzTest.sign(ExchangeFuzzTest.HOLDER, "dpop+jwt", new JWTClaimsSet.Builder()
                .claim("htm", "POST").claim("htu", HTU).claim("ath", DpopVerifier.ath(parent)).issueTime(new Date())
                .jwtID(UUID.randomUUID().toString()).build());
        return exchange.exchange(Map.of("grant_type", Exchange.GRANT_TYPE, "subject_token", parent,
                "subject_token_type", Exchange.ACCESS_TOKEN_TYPE, "actor_token", actor,
                "actor_token_type", Exchange.JWT_TYPE), proof, HTU);
    }

    @Test
    void aParentIsExchangedOnlyWhileItsKeyIsPublished() throws Exception {
        String byFirst = parent();
        assertEquals(1, exchange(byFirst).depth());

        // The next key is published, then signs; the first is still published: both parents are exchanged.
        published = List.of(first, second);
        signing = second;
        String bySecond = parent();
        assertEquals(1, exchange(bySecond).depth());
        assertEquals(1, exchange(byFirst).depth());

        // The first key leaves publication: its parent is refused from the next exchange on.
        published = List.of(second);
        ExchangeException e = assertThrows(ExchangeException.class, () -> exchange(byFirst));
        assertEquals(ExchangeException.INVALID_GRANT, e.error());
        assertEquals(1, exchange(bySecond).depth());
    }
}
