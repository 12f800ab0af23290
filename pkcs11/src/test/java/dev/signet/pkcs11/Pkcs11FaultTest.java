package dev.signet.pkcs11;

import dev.signet.spi.Jwks;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults injected into a real SoftHSM2 token while one backend instance keeps running: it must report
 * UNAVAILABLE, show itself degraded, and recover by itself without ever signing with another key.
 */
class Pkcs11FaultTest {

    private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(20);

    @BeforeAll
    static void softhsm() {
        SoftHsm.require();
    }

    @Test
    void recoversAfterTheTokenIsRemovedAndPutBack() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("unplug");
        try (Pkcs11KeyBackend backend = open(token)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            SigningKey other = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(key, key, "before"));

            Path dir = SoftHsm.directoryOf(token);
            // Outside the token directory: SoftHSM takes every directory in it for a token.
            Path away = SoftHsm.conf().resolveSibling(dir.getFileName() + ".away");
            Files.move(dir, away);
            SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("while away")));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(e.retryAfter().isPresent(), "UNAVAILABLE must say when to retry");
            assertTrue(backend.degraded().isPresent());
            assertFalse(e.getMessage().contains(token.pin()) || backend.degraded().get().contains(token.pin()));
            // Still away after several reconnection attempts: still degraded, still UNAVAILABLE.
            Thread.sleep(1000);
            assertTrue(backend.degraded().isPresent(), "no recovery while the token is missing");
            assertEquals(SignetException.Code.UNAVAILABLE,
                    assertThrows(SignetException.class, () -> key.sign(bytes("still away"))).code());

            Files.move(away, dir);
            awaitRecovery(backend);
            assertTrue(signsFor(key, key, "after"), "the same handle signs again with the same key");
            assertTrue(signsFor(backend.get(other.id()), other, "after"));
            assertEquals(2, backend.list().size());
        }
    }

    @Test
    void concurrentSignersSeeOnlyUnavailableAndNeverAnotherKey() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("busy");
        try (Pkcs11KeyBackend backend = open(token)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            backend.generate(SigningAlgorithm.ES256);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    int unavailable = 0;
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            if (!signsFor(key, key, "n" + i)) {
                                throw new AssertionError("a signature did not verify with the kid's key");
                            }
                            ok++;
                        } catch (SignetException e) {
                            if (e.code() != SignetException.Code.UNAVAILABLE) {
                                throw e;
                            }
                            unavailable++;
                        }
                    }
                    return new int[]{ok, unavailable};
                }));
            }
            Thread.sleep(300);
            Path dir = SoftHsm.directoryOf(token);
            // Outside the token directory: SoftHSM takes every directory in it for a token.
            Path away = SoftHsm.conf().resolveSibling(dir.getFileName() + ".away");
            Files.move(dir, away);
            Thread.sleep(700);
            Files.move(away, dir);
            awaitRecovery(backend);
            Thread.sleep(300);
            stop.set(true);
            int ok = 0;
            int unavailable = 0;
            for (Future<int[]> f : results) {
                int[] r = f.get();
                ok += r[0];
                unavailable += r[1];
            }
            pool.shutdown();
            assertTrue(unavailable > 0, "the fault must have been seen");
            assertTrue(ok > 0);
            // Moving the token's files while sessions write to them sometimes costs SoftHSM2 the key object itself
            // (seen about once in five runs). Either way the kid is served by its own key or refused, never another:
            // it signs again once back, or stays UNAVAILABLE. Same-key recovery without concurrent writers is
            // asserted by recoversAfterTheTokenIsRemovedAndPutBack.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (true) {
                try {
                    assertTrue(signsFor(key, key, "end"));
                    break;
                } catch (SignetException e) {
                    assertEquals(SignetException.Code.UNAVAILABLE, e.code());
                    if (System.nanoTime() > deadline) {
                        assertTrue(backend.degraded().isEmpty(), "the backend itself is healthy");
                        break;
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    @Test
    void aReinitialisedTokenLosesTheKeyAndNeverServesAnother() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("reinit");
        try (Pkcs11KeyBackend backend = open(token)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(key, key, "before"));

            SoftHsm.deleteToken(token);
            SoftHsm.initToken(token);
            // A new key on the new token, with the same label and PIN, must not answer for the old kid.
            SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("gone")));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            awaitRecovery(backend);

            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> backend.get(key.id())).code());
            assertEquals(SignetException.Code.UNAVAILABLE,
                    assertThrows(SignetException.class, () -> key.sign(bytes("still gone"))).code());
            assertTrue(backend.list().isEmpty());
            SigningKey fresh = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(fresh, fresh, "fresh"));
            assertEquals(SignetException.Code.UNAVAILABLE,
                    assertThrows(SignetException.class, () -> key.sign(bytes("old kid"))).code());
        }
    }

    @Test
    void repeatedRecoveriesLeaveNoThreadsBehind() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("repeat");
        try (Pkcs11KeyBackend backend = open(token)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(key, key, "warm-up"));
            int threadsBefore = Thread.activeCount();
            for (int i = 0; i < 5; i++) {
                Path dir = SoftHsm.directoryOf(token);
                Path away = SoftHsm.conf().resolveSibling(dir.getFileName() + ".away");
                Files.move(dir, away);
                assertEquals(SignetException.Code.UNAVAILABLE,
                        assertThrows(SignetException.class, () -> key.sign(bytes("away"))).code());
                Files.move(away, dir);
                awaitRecovery(backend);
                assertTrue(signsFor(key, key, "cycle " + i));
            }
            // Each recovery replaces the SunPKCS11 provider; none may leave a thread (poller, cleaner) per cycle.
            assertTrue(Thread.activeCount() <= threadsBefore + 1,
                    "threads grew from " + threadsBefore + " to " + Thread.activeCount());
        }
    }

    private static Pkcs11KeyBackend open(SoftHsm.Token token) {
        return new Pkcs11KeyBackend(SoftHsm.library().orElseThrow().toString(), token.label(),
                token.pin().toCharArray(), Clock.systemUTC(), Duration.ofMillis(100), Duration.ofMillis(400));
    }

    /** Polls health, as a readiness probe would, until the backend reports itself healthy. */
    private static void awaitRecovery(Pkcs11KeyBackend backend) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
        while (backend.degraded().isPresent()) {
            if (System.nanoTime() > deadline) {
                fail("no recovery within " + RECOVERY_DEADLINE + ": " + backend.degraded().get());
            }
            Thread.sleep(50);
        }
    }

    /** Signs with {@code signer} and checks the signature against the public key that hashes to {@code expected}'s kid. */
    private static boolean signsFor(SigningKey signer, SigningKey expected, String text) {
        byte[] input = bytes(text);
        byte[] signature = signer.sign(input);
        assertEquals(expected.id(), Jwks.thumbprint(expected.publicKey(), expected.algorithm()));
        try {
            Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
            v.initVerify(expected.publicKey());
            v.update(input);
            return v.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
