package dev.signet.pkcs11;

import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Token faults injected into {@link FakeTokenClient} while a backend runs, with the recovery's clock and scheduler
 * in the test's hands: the backend must report UNAVAILABLE (generic to callers, detailed to operators), show itself
 * degraded, back off, and recover without ever signing with another key. {@link Pkcs11FaultTest} does the same to
 * a real SoftHSM2 token.
 */
class Pkcs11RecoveryTest {

    private static final String LABEL = "unplug";
    private static final String PIN = "0000-fake-pin";
    private static final Duration INITIAL = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofMillis(400);
    private static final int SIGNERS = 4;
    /** Generous bound for waits on real threads; tests finish far sooner. */
    private static final long WAIT_SECONDS = 30;

    private final FakeTokenClient fake = new FakeTokenClient().withToken(LABEL, PIN).withToken("second", PIN);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final List<Pkcs11KeyBackend> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(Pkcs11KeyBackend::close);
    }

    @Test
    void recoversAfterTheTokenIsRemovedAndPutBack() {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        SigningKey other = backend.generate(SigningAlgorithm.ES256);
        assertTrue(signsFor(key, key, "before"));

        fake.remove(LABEL);
        SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("while away")));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertTrue(e.retryAfter().isPresent(), "UNAVAILABLE must say when to retry");
        assertTrue(backend.degraded().isPresent());
        assertEquals(dev.signet.spi.KeyBackend.Circuit.OPEN, backend.circuit(), "calls fail fast while reconnecting");
        assertFalse(e.getMessage().contains(PIN) || backend.degraded().get().contains(PIN));
        // While degraded, the keys known before the fault are still listed and found.
        assertEquals(2, backend.list().size());
        assertEquals(key.id(), backend.get(key.id()).id());

        // Still away after several reconnection attempts, each after a doubled wait up to the ceiling.
        List<Duration> waits = new ArrayList<>();
        scheduler.runDue();
        for (int i = 0; i < 4; i++) {
            Duration wait = scheduler.nextIn().orElseThrow();
            waits.add(wait);
            scheduler.advance(wait);
        }
        assertEquals(List.of(INITIAL, INITIAL.multipliedBy(2), MAX, MAX), waits);
        assertTrue(backend.degraded().orElseThrow().contains("reconnecting failed"), backend.degraded().get());
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("still away"))).code());

        fake.putBack(LABEL);
        scheduler.advance(MAX);
        assertTrue(backend.degraded().isEmpty(), () -> backend.degraded().get());
        assertEquals(dev.signet.spi.KeyBackend.Circuit.CLOSED, backend.circuit());
        assertTrue(fake.reinitializations.get() > 0, "the library was re-initialised, as SoftHSM2 needs");
        assertTrue(signsFor(key, key, "after"), "the same handle signs again with the same key");
        assertTrue(signsFor(backend.get(other.id()), other, "after"));
        assertEquals(2, backend.list().size());
    }

    /** What callers see names no PKCS#11 error, library or token; operators see the error, not the library. */
    @ParameterizedTest
    @ValueSource(strings = {"CKR_OBJECT_HANDLE_INVALID", "CKR_SESSION_HANDLE_INVALID", "CKR_SESSION_CLOSED",
            "CKR_USER_NOT_LOGGED_IN", "CKR_DEVICE_ERROR"})
    void eachTokenFaultIsUnavailableThenRecovered(String ckr) {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);

        fake.failSessions(LABEL, ckr);
        SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("fault")));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertEquals(TokenFaults.UNAVAILABLE, e.getMessage());
        for (String secret : List.of("CKR_", fake.library(), LABEL, PIN)) {
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
        assertTrue(TokenFaults.describe(e).contains(ckr), "the cause keeps the detail for the log");
        String degraded = backend.degraded().orElseThrow();
        assertTrue(degraded.contains(ckr), degraded);
        assertFalse(degraded.contains(fake.library()) || degraded.contains(PIN), degraded);

        scheduler.runDue();
        assertTrue(backend.degraded().isEmpty(), () -> backend.degraded().get());
        assertTrue(signsFor(key, key, "after " + ckr));
    }

    @Test
    void concurrentSignersSeeOnlyUnavailableAndNeverAnotherKey() throws Exception {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        backend.generate(SigningAlgorithm.ES256);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean recovered = new AtomicBoolean();
        CountDownLatch signedBefore = new CountDownLatch(SIGNERS);
        CountDownLatch sawFault = new CountDownLatch(1);
        CountDownLatch signedAfter = new CountDownLatch(SIGNERS);
        ExecutorService pool = Executors.newFixedThreadPool(SIGNERS);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < SIGNERS; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    int unavailable = 0;
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            if (!signsFor(key, key, "n" + i)) {
                                throw new AssertionError("a signature did not verify with the kid's key");
                            }
                            ok++;
                            (recovered.get() ? signedAfter : signedBefore).countDown();
                        } catch (SignetException e) {
                            if (e.code() != SignetException.Code.UNAVAILABLE) {
                                throw e;
                            }
                            unavailable++;
                            sawFault.countDown();
                        }
                        // Leaves the test's thread, which recovers the backend, its share of a busy machine.
                        Thread.yield();
                    }
                    return new int[]{ok, unavailable};
                }));
            }
            assertTrue(signedBefore.await(WAIT_SECONDS, TimeUnit.SECONDS));
            fake.remove(LABEL);
            assertTrue(sawFault.await(WAIT_SECONDS, TimeUnit.SECONDS));
            scheduler.runDue();
            fake.putBack(LABEL);
            scheduler.advance(MAX);
            assertTrue(backend.degraded().isEmpty(), () -> backend.degraded().get());
            recovered.set(true);
            assertTrue(signedAfter.await(WAIT_SECONDS, TimeUnit.SECONDS), "signers sign again after recovery");
            stop.set(true);
            int ok = 0;
            int unavailable = 0;
            for (Future<int[]> f : results) {
                int[] r = f.get();
                ok += r[0];
                unavailable += r[1];
            }
            assertTrue(unavailable > 0, "the fault must have been seen");
            assertTrue(ok > 0);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        // The kid is served by its own key once the token is back.
        assertTrue(signsFor(key, key, "end"));
        assertTrue(backend.degraded().isEmpty(), "the backend itself is healthy");
    }

    @Test
    void aReinitialisedTokenLosesTheKeyAndNeverServesAnother() {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        assertTrue(signsFor(key, key, "before"));

        fake.reinitializeToken(LABEL);
        SignetException e = assertThrows(SignetException.class, () -> key.sign(bytes("gone")));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        scheduler.runDue();
        assertTrue(backend.degraded().isEmpty());

        assertGoneAndNeverServedByAnother(backend, key, () -> scheduler.advance(INITIAL));
        // Revoking it destroys what is no longer there; the operator has acted, so the backend is ready again.
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> backend.destroy(key.id())).code());
        assertTrue(backend.degraded().isEmpty(), () -> backend.degraded().get());
    }

    /**
     * After its token was re-initialised, a kid is NOT_FOUND and its held handle UNAVAILABLE, even once a new key
     * is on the token and the token has been read again ({@code rereadAllowed} lets the backend read it again).
     * Signing with the lost key makes the backend not ready, naming the kid, until another key signs.
     */
    static void assertGoneAndNeverServedByAnother(KeyBackend backend, SigningKey key, Runnable rereadAllowed) {
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> backend.get(key.id())).code());
        assertTrue(backend.degraded().isEmpty(), "nothing has tried to sign with the lost key yet");
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("still gone"))).code());
        String lost = backend.degraded().orElseThrow();
        assertTrue(lost.contains(key.id()) && lost.contains("revoke"), lost);
        assertTrue(backend.list().isEmpty());
        SigningKey fresh = backend.generate(SigningAlgorithm.ES256);
        assertTrue(signsFor(fresh, fresh, "fresh"));
        assertTrue(backend.degraded().isEmpty(), "a new key signs: ready again");
        rereadAllowed.run();
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("old kid"))).code());
        assertTrue(backend.degraded().isPresent());
    }

    @Test
    void aPinRefusedWhileReconnectingStopsTheRetries() {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        String newPin = "5678-changed";
        fake.changePin(LABEL, newPin);
        fake.failSessions(LABEL, "CKR_USER_NOT_LOGGED_IN");
        assertThrows(SignetException.class, () -> key.sign(bytes("x")));
        scheduler.runDue();

        String degraded = backend.degraded().orElseThrow();
        assertTrue(degraded.contains("PIN") && !degraded.contains("next attempt"), degraded);
        assertFalse(degraded.contains(PIN) || degraded.contains(newPin), degraded);
        int logins = fake.logins.get();
        scheduler.advance(Duration.ofHours(1));
        assertEquals(logins, fake.logins.get(), "retrying a refused PIN would lock the token");
        assertTrue(scheduler.nextIn().isEmpty());
    }

    @Test
    void backendsSharingALibraryDoNotUndoEachOthersRecovery() {
        Pkcs11KeyBackend first = open(LABEL, scheduler);
        ManualScheduler secondScheduler = new ManualScheduler(clock);
        Pkcs11KeyBackend second = open("second", secondScheduler);
        SigningKey a = first.generate(SigningAlgorithm.ES256);
        SigningKey b = second.generate(SigningAlgorithm.ES256);

        fake.failSessions(LABEL, "CKR_DEVICE_ERROR");
        assertThrows(SignetException.class, () -> a.sign(bytes("x")));
        scheduler.runDue();
        assertEquals(1, fake.reinitializations.get());
        assertTrue(signsFor(a, a, "first back"));

        // The re-initialisation invalidated the second backend's sessions too; it reconnects without another one.
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> b.sign(bytes("y"))).code());
        secondScheduler.runDue();
        assertTrue(second.degraded().isEmpty());
        assertEquals(1, fake.reinitializations.get(), "the second recovery must not re-initialise again");
        assertTrue(signsFor(b, b, "second back"));
        assertTrue(signsFor(a, a, "first still fine"));
        assertTrue(first.degraded().isEmpty());
    }

    @Test
    void aKeyMissingAfterReconnectingIsReadAgainAtMostOncePerBackoff() {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        fake.failSessions(LABEL, "CKR_DEVICE_ERROR");
        assertThrows(SignetException.class, () -> key.sign(bytes("x")));
        // The token is read while the key's object is not yet visible again.
        fake.hide(LABEL, key.id());
        scheduler.runDue();
        assertTrue(backend.degraded().isEmpty());

        int reads = fake.reads.get();
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("missing"))).code());
        assertEquals(reads + 1, fake.reads.get(), "a missing key makes the backend read the token again");
        fake.show(LABEL, key.id());
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("too soon"))).code());
        assertEquals(reads + 1, fake.reads.get(), "at most once per initial backoff");
        scheduler.advance(INITIAL);
        assertTrue(backend.degraded().orElseThrow().contains(key.id()), "not ready while the key is missing");
        assertTrue(signsFor(key, key, "found again"));
        assertTrue(backend.degraded().isEmpty(), "ready once the key signs again");
    }

    @Test
    void closingStopsRecoveryAndLogsOut() {
        Pkcs11KeyBackend backend = open(LABEL, scheduler);
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        fake.remove(LABEL);
        assertThrows(SignetException.class, () -> key.sign(bytes("x")));
        backend.close();
        assertTrue(scheduler.nextIn().isEmpty(), "no attempt after close");
        fake.putBack(LABEL);
        scheduler.advance(Duration.ofMinutes(1));
        assertEquals(SignetException.Code.UNAVAILABLE,
                assertThrows(SignetException.class, () -> key.sign(bytes("closed"))).code());
        assertEquals(Optional.of("token " + LABEL + " is closed"), backend.degraded());
    }

    private Pkcs11KeyBackend open(String label, Scheduler s) {
        Pkcs11KeyBackend b = new Pkcs11KeyBackend(fake, s, label, PIN.toCharArray(), Pkcs11Contract.ISSUER, clock,
                new Pkcs11KeyBackend.Options(INITIAL, MAX, 0));
        opened.add(b);
        return b;
    }

    /** Signs with {@code signer} and checks the signature against the public key that hashes to {@code expected}'s kid. */
    static boolean signsFor(SigningKey signer, SigningKey expected, String text) {
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

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
