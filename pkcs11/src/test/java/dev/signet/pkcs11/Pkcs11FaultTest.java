package dev.signet.pkcs11;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static dev.signet.pkcs11.Pkcs11RecoveryTest.bytes;
import static dev.signet.pkcs11.Pkcs11RecoveryTest.signsFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults injected into a real SoftHSM2 token while one backend instance keeps running: it must report
 * UNAVAILABLE, show itself degraded, and recover by itself without ever signing with another key. The state machine
 * itself (backoff, refused PIN, concurrent signers, shared libraries) is driven with a fake in
 * {@link Pkcs11RecoveryTest}; these check that SoftHSM2 really fails and comes back the way it assumes. Recovery runs
 * on its own thread here, so the tests poll with deadlines many times what it takes.
 */
class Pkcs11FaultTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @BeforeAll
    static void softhsm() {
        SoftHsm.require();
    }

    @Test
    void recoversAfterTheTokenIsRemovedAndPutBack() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("unplug");
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 0)) {
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
            String library = SoftHsm.library().orElseThrow().toString();
            assertFalse(e.getMessage().contains("CKR_") || e.getMessage().contains(library), e.getMessage());
            // Still away after a reconnection attempt: still degraded, still UNAVAILABLE.
            await(() -> backend.degraded().map(d -> d.contains("reconnecting failed")).orElse(false),
                    () -> "a failed reconnection attempt: " + backend.degraded());
            assertFalse(backend.degraded().get().contains(library), backend.degraded().get());
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
    void aReinitialisedTokenLosesTheKeyAndNeverServesAnother() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("reinit");
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 0)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(key, key, "before"));

            SoftHsm.deleteToken(token);
            SoftHsm.initToken(token);
            // A new key on the new token, with the same label and PIN, must not answer for the old kid.
            SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("gone")));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            awaitRecovery(backend);
            Pkcs11RecoveryTest.assertGoneAndNeverServedByAnother(backend, key, () -> { });
        }
    }

    @Test
    void repeatedRecoveriesLeaveNoThreadsBehind() throws Exception {
        SoftHsm.Token token = SoftHsm.initToken("repeat");
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 0)) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            assertTrue(signsFor(key, key, "warm-up"));
            int threadsBefore = pkcs11Threads().size();
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
            await(() -> pkcs11Threads().size() <= threadsBefore + 1,
                    () -> "PKCS#11 threads grew from " + threadsBefore + " to " + pkcs11Threads());
        }
    }

    /** The threads SunPKCS11 providers and this backend start (poller, cleaner, recovery, signing). */
    private static List<String> pkcs11Threads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.contains("SunPKCS11") || n.startsWith("pkcs11-")).toList();
    }

    /** Polls health, as a readiness probe would, until the backend reports itself healthy. */
    private static void awaitRecovery(Pkcs11KeyBackend backend) throws InterruptedException {
        await(() -> backend.degraded().isEmpty(), () -> "no recovery: " + backend.degraded());
    }

    private static void await(BooleanSupplier condition, Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("within " + DEADLINE + ": " + failure.get());
            }
            Thread.sleep(20);
        }
    }
}
