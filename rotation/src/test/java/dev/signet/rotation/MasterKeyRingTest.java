package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MasterKeyRingTest {

    @TempDir
    Path dir;
    MutableClock clock;
    KeyBackend backend;
    MasterKeyRing ring;
    String first;

    @BeforeEach
    void start() {
        clock = new MutableClock(Fixtures.START);
        backend = Fixtures.backend(dir, clock);
        ring = MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock);
        first = ring.signingSlot().key().id();
    }

    private static KeyRing.KeyView view(List<KeyRing.KeyView> views, String state) {
        return views.stream().filter(v -> v.state().equals(state)).findFirst().orElseThrow();
    }

    @Test
    void revokingTheActiveKeyUnpublishesItAndActivatesANewKeyAtOnce() {
        List<KeyRing.KeyView> views = ring.revoke(first);

        assertFalse(ring.published().stream().anyMatch(k -> k.id().equals(first)), "gone from the JWKS at once");
        String next = ring.signingSlot().key().id();
        assertNotEquals(first, next);
        assertEquals(next, view(views, "ACTIVE").kid());
        assertNotNull(ring.keySet().active().orElseThrow().forcedBecause(), "the forced activation is recorded");
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.revoke(first)).code(), "not published any more");
        assertTrue(backend.list().stream().anyMatch(k -> k.id().equals(first)),
                "kept in the backend for the destroy grace, to investigate a mistaken revocation");
        assertEquals(Fixtures.START.plus(Fixtures.DAILY.destroyGrace()), view(ring.describe(), "REVOKED").destroys());

        clock.advance(Fixtures.DAILY.destroyGrace().minusSeconds(1));
        ring.tick();
        assertTrue(backend.list().stream().anyMatch(k -> k.id().equals(first)), "not before the grace is over");
        clock.advance(Duration.ofSeconds(1));
        ring.tick();
        assertTrue(backend.list().stream().noneMatch(k -> k.id().equals(first)), "then destroyed in the backend");
        assertEquals(KeyState.DESTROYED, ring.keySet().find(first).orElseThrow().state());
    }

    @Test
    void destroyNowDeletesARevokedKeyAtOnceAndOnlyARevokedOne() {
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.destroyNow(first)).code(), "revoke it first");
        ring.revoke(first);
        List<KeyRing.KeyView> views = ring.destroyNow(first);
        assertEquals("DESTROYED", views.stream().filter(v -> v.kid().equals(first)).findFirst().orElseThrow().state());
        assertTrue(backend.list().stream().noneMatch(k -> k.id().equals(first)));
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.destroyNow(first)).code(), "destroyed already");
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> ring.destroyNow("unknown")).code());
    }

    @Test
    void revokingTheActiveKeyPrefersThePreparedKey() {
        ring.prepare();
        String prepared = ring.keySet().prepared().orElseThrow().kid();
        ring.revoke(first);
        assertEquals(prepared, ring.signingSlot().key().id());
        assertEquals(1, ring.published().size());
    }

    @Test
    void revokingAPreparedKeyLeavesTheActiveOneSigning() {
        ring.prepare();
        String prepared = ring.keySet().prepared().orElseThrow().kid();
        ring.revoke(prepared);
        assertEquals(first, ring.signingSlot().key().id());
        assertFalse(ring.published().stream().anyMatch(k -> k.id().equals(prepared)));
    }

    @Test
    void prepareTwiceIsAPreconditionFailure() {
        List<KeyRing.KeyView> views = ring.prepare();
        assertEquals("PREPARED", views.get(1).state());
        assertEquals(first, ring.signingSlot().key().id(), "preparing does not change the signer");
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, ring::prepare).code());
    }

    @Test
    void rotateActivatesAfterTheLeadNotBefore() {
        ring.rotate();
        String next = ring.keySet().prepared().orElseThrow().kid();
        clock.advance(Fixtures.DAILY.prepublishLead().minusSeconds(1));
        ring.tick();
        assertEquals(first, ring.signingSlot().key().id());
        clock.advance(Duration.ofSeconds(1));
        ring.tick();
        assertEquals(next, ring.signingSlot().key().id());
        assertNull(ring.keySet().active().orElseThrow().forcedBecause());
        assertEquals("RETIRED", ring.describe().stream().filter(v -> v.kid().equals(first)).findFirst()
                .orElseThrow().state());
    }

    @Test
    void activateForcesAPreparedKeyAndRecordsIt() {
        ring.prepare();
        String next = ring.keySet().prepared().orElseThrow().kid();
        ring.activate(next);
        assertEquals(next, ring.signingSlot().key().id());
        assertEquals("operator activation", ring.keySet().active().orElseThrow().forcedBecause());
        assertTrue(ring.published().stream().anyMatch(k -> k.id().equals(first)), "the old key stays published");
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.activate(first)).code(), "RETIRED is not PREPARED");
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> ring.activate("unknown")).code());
    }

    @Test
    void retireNeedsASuccessorThatWaitedTheLead() {
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.retire(first)).code(), "no successor");
        ring.prepare();
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.retire(first)).code(), "successor not yet due");
        clock.advance(Fixtures.DAILY.prepublishLead());
        String next = ring.keySet().prepared().orElseThrow().kid();
        List<KeyRing.KeyView> views = ring.retire(first);
        assertEquals(next, ring.signingSlot().key().id());
        assertEquals(first, view(views, "RETIRED").kid());
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> ring.retire(first)).code(), "only ACTIVE retires");
    }

    @Test
    void theRotatorSweepsEveryIssuerAndReportsFailuresWithoutStopping() {
        KeyBackend broken = new KeyBackend() {
            // The software backend with its generate failing, as a KMS outage would.
            private final KeyBackend real = Fixtures.backend(dir.resolve("b"), clock);

            public String type() { return real.type(); }
            public boolean hardwareProtected() { return false; }
            public java.util.Set<dev.signet.spi.SigningAlgorithm> algorithms() { return real.algorithms(); }
            public SigningKey generate(dev.signet.spi.SigningAlgorithm a) {
                if (real.list().isEmpty()) {
                    return real.generate(a);
                }
                throw new SignetException(SignetException.Code.UNAVAILABLE, "backend down");
            }
            public SigningKey get(String id) { return real.get(id); }
            public List<SigningKey> list() { return real.list(); }
            public void destroy(String id) { real.destroy(id); }
        };
        MasterKeyRing failing = MasterKeyRing.start(broken, dir.resolve("issuer-b"), Fixtures.DAILY, clock);
        try (RotationScheduler rotator = RotationScheduler.start(Map.of("a", ring, "b", failing), Duration.ofHours(1))) {
            clock.set(Fixtures.START.plus(Duration.ofHours(22)).plusSeconds(1));
            Map<String, RuntimeException> failures = rotator.sweep();
            assertEquals(List.of("b"), List.copyOf(failures.keySet()));
            assertTrue(ring.keySet().prepared().isPresent(), "issuer a rotated despite b");
            failing.signingSlot(); // b still signs with its ACTIVE key while generation fails
        }
    }
}
