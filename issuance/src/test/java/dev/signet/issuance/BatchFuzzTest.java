package dev.signet.issuance;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.audit.AuditTrail;
import dev.signet.rotation.KeyRing;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for the {@code POST /v1/tokens/batch} body (RELIABILITY.md): any JSON body goes through
 * {@link TokenRequests#batchItems} and {@link Issuance#mintAll} for the fixed minter of {@link TokenRequestFuzzTest}.
 * The whole body, or each item, is refused only with a client-error SignetException; every token minted is signed
 * with claims inside the minter's policy (read back from the token itself, not from the request).
 */
class BatchFuzzTest {

    static final int MAX_BATCH = 8;
    static final Minter MINTER = new Minter("fuzz", CredentialHash.of("fuzz-credential-0123456789abcdef"),
            TokenRequestFuzzTest.POLICY);
    static final Issuance ISSUANCE = issuance();

    static Issuance issuance() {
        try {
            var dir = Files.createTempDirectory("signet-batch-fuzz");
            dir.toFile().deleteOnExit();
            SigningKey key = new SoftwareKeyBackend(dir.resolve("k.p12"), "fuzz".toCharArray(), Clock.systemUTC())
                    .generate(SigningAlgorithm.ES256);
            KeyRing ring = new KeyRing() {
                @Override
                public SigningSlot signingSlot() {
                    return new SigningSlot(key, Instant.now().plus(Duration.ofDays(1)));
                }

                @Override
                public List<SigningKey> published() {
                    return List.of(key);
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
            return new Issuance("https://signet.fuzz", ring, Clock.systemUTC(), AuditTrail.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void batch(byte[] data) throws ParseException {
        Map<String, Object> body;
        try {
            body = JSONObjectUtils.parse(new String(data, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            return; // not JSON: the HTTP layer's parser refuses it before issuance sees it
        }
        if (body == null) {
            return; // Nimbus reads a leading `null` as no object; the HTTP layer refuses a body that is not an object
        }
        List<Object> results;
        try {
            results = ISSUANCE.mintAll(MINTER, TokenRequests.batchItems(body, MAX_BATCH));
        } catch (SignetException e) {
            assertClientError(e);
            return;
        }
        List<?> items = (List<?>) body.get("requests");
        assertEquals(items.size(), results.size(), "one result per request, in order");
        for (Object result : results) {
            if (result instanceof SignetException e) {
                assertClientError(e);
            } else {
                assertInPolicy(assertInstanceOf(MintedToken.class, result));
            }
        }
    }

    /** The valid seed mints every item, so the in-policy assertions are reached, not vacuous. */
    @Test
    void theValidSeedMintsEveryItem() throws IOException, ParseException {
        try (InputStream in = getClass().getResourceAsStream("BatchFuzzTestInputs/batch/valid")) {
            Map<String, Object> body = JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            List<Object> results = ISSUANCE.mintAll(MINTER, TokenRequests.batchItems(body, MAX_BATCH));
            assertEquals(3, results.size());
            for (Object result : results) {
                assertInPolicy(assertInstanceOf(MintedToken.class, result));
            }
        }
    }

    static void assertClientError(SignetException e) {
        assertTrue(TokenRequestFuzzTest.CLIENT_ERRORS.contains(e.code()), () -> "refused with " + e.code() + ": " + e.getMessage());
    }

    /** Rebuilds the request from the signed claims and holds it to the policy, independently of the minting path. */
    static void assertInPolicy(MintedToken token) throws ParseException {
        JWTClaimsSet claims = SignedJWT.parse(token.token()).getJWTClaimsSet();
        long ttl = claims.getExpirationTime().toInstant().getEpochSecond() - claims.getIssueTime().toInstant().getEpochSecond();
        assertTrue(ttl > 0 && ttl <= TokenRequestFuzzTest.MAX_TTL.toSeconds(), () -> "ttl " + ttl);
        assertEquals(1, claims.getAudience().size());
        assertEquals(MINTER.name(), claims.getStringClaim("client_id"));
        List<Object> details = claims.getListClaim("authorization_details");
        Map<String, Object> request = new java.util.HashMap<>(Map.of("sub", claims.getSubject(),
                "aud", claims.getAudience().get(0), "ttl", ttl, "scope", details.stream().map(d -> {
                    Map<?, ?> m = (Map<?, ?>) d;
                    return Map.of("resource", m.get("identifier"), "actions", m.get("actions"));
                }).toList()));
        TokenRequestFuzzTest.assertInPolicy(request, TokenRequests.parse(request));
    }
}
