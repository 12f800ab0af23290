package dev.signet.spi;

import com.nimbusds.jose.jwk.JWK;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link KeyBackend} must do. A backend's test extends this and says how to open the backend;
 * a backend is trusted the day it passes.
 */
public abstract class KeyBackendContract {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    protected KeyBackend backend;

    /** Opens the backend under test over the same storage each time it is called within one test. */
    protected abstract KeyBackend open();

    /** The algorithms this backend is expected to support. */
    protected abstract Set<SigningAlgorithm> expectedAlgorithms();

    @BeforeEach
    void openBackend() {
        backend = open();
    }

    @AfterEach
    void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void supportsTheExpectedAlgorithms() {
        assertEquals(expectedAlgorithms(), backend.algorithms());
    }

    @Test
    void keyIdIsTheRfc7638Thumbprint() {
        for (SigningAlgorithm alg : backend.algorithms()) {
            SigningKey key = backend.generate(alg);
            assertEquals(alg, key.algorithm());
            assertEquals(Jwks.thumbprint(key.publicKey(), alg), key.id(), alg.name());
        }
    }

    @Test
    void signaturesVerifyWithAnIndependentVerifier() {
        for (SigningAlgorithm alg : backend.algorithms()) {
            SigningKey key = backend.generate(alg);
            String compact = signCompact(key, "{\"sub\":\"contract\"}");
            assertTrue(JwsVerification.verifies(compact, Jwks.publicJwk(key)), alg + " signature must verify");
            String tampered = signCompact(key, "{\"sub\":\"contract\"}").replaceFirst("\\.[^.]+\\.",
                    "." + B64.encodeToString("{\"sub\":\"other\"}".getBytes(StandardCharsets.UTF_8)) + ".");
            assertFalse(JwsVerification.verifies(tampered, Jwks.publicJwk(key)), alg + " must not verify altered claims");
        }
    }

    @Test
    void ecdsaSignaturesAreFixedWidthNotDer() {
        if (!backend.algorithms().contains(SigningAlgorithm.ES256)) {
            return;
        }
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        for (int i = 0; i < 20; i++) {
            assertEquals(64, key.sign(("input " + i).getBytes(StandardCharsets.US_ASCII)).length);
        }
    }

    @Test
    void getAndListFindGeneratedKeys() {
        SigningAlgorithm alg = backend.algorithms().iterator().next();
        SigningKey a = backend.generate(alg);
        SigningKey b = backend.generate(alg);
        assertNotEquals(a.id(), b.id());
        assertArrayEquals(a.publicKey().getEncoded(), backend.get(a.id()).publicKey().getEncoded());
        List<String> ids = backend.list().stream().map(SigningKey::id).toList();
        assertTrue(ids.contains(a.id()) && ids.contains(b.id()), "list must contain both keys: " + ids);
    }

    @Test
    void unknownKeyIsNotFound() {
        SignetException e = assertThrows(SignetException.class, () -> backend.get("no-such-key"));
        assertEquals(SignetException.Code.NOT_FOUND, e.code());
    }

    @Test
    void keysSurviveReopening() {
        SigningAlgorithm alg = backend.algorithms().iterator().next();
        SigningKey key = backend.generate(alg);
        backend.close();
        backend = open();
        SigningKey again = backend.get(key.id());
        assertArrayEquals(key.publicKey().getEncoded(), again.publicKey().getEncoded());
        String compact = signCompact(again, "{\"sub\":\"after-restart\"}");
        assertTrue(JwsVerification.verifies(compact, Jwks.publicJwk(key)));
    }

    @Test
    void destroyedKeysAreGone() {
        SigningAlgorithm alg = backend.algorithms().iterator().next();
        SigningKey key = backend.generate(alg);
        backend.destroy(key.id());
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> backend.get(key.id())).code());
        assertFalse(backend.list().stream().anyMatch(k -> k.id().equals(key.id())));
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> backend.destroy(key.id())).code());
    }

    @Test
    void unsupportedAlgorithmsAreRefusedClearly() {
        for (SigningAlgorithm alg : EnumSet.complementOf(EnumSet.copyOf(backend.algorithms()))) {
            SignetException e = assertThrows(SignetException.class, () -> backend.generate(alg));
            assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(alg.name()), e.getMessage());
        }
    }

    @Test
    void signsConcurrently() throws Exception {
        SigningAlgorithm alg = backend.algorithms().iterator().next();
        SigningKey key = backend.generate(alg);
        JWK jwk = Jwks.publicJwk(key);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String claims = "{\"n\":" + i + "}";
                results.add(pool.submit(() -> signCompact(key, claims)));
            }
            for (Future<String> f : results) {
                assertTrue(JwsVerification.verifies(f.get(), jwk));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void toStringRevealsNoSecret() {
        for (String secret : secrets()) {
            assertFalse(backend.toString().contains(secret), "toString must not show a secret");
        }
    }

    /** The secrets this backend was opened with (PINs, passwords), which must never show. */
    protected List<String> secrets() {
        return List.of();
    }

    protected static String signCompact(SigningKey key, String claimsJson) {
        String header = "{\"alg\":\"" + key.algorithm().jwsName() + "\",\"kid\":\"" + key.id() + "\"}";
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
        return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
    }
}
