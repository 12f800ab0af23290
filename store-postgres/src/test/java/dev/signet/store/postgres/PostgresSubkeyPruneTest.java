package dev.signet.store.postgres;

import dev.signet.rotation.DelegatedKeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.ReplicaId;
import dev.signet.rotation.RotationPolicy;
import dev.signet.software.InMemorySigning;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A delegated replica gone for good: its row in signet.subkeys is deleted once all its subkeys are unpublished. */
class PostgresSubkeyPruneTest {

    private static final RotationPolicy POLICY = RotationPolicy.builder().rotationPeriod(Duration.ofDays(1)).build();
    @RegisterExtension
    final ReplicaStores stores = new ReplicaStores();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T00:00:00Z"));

    @TempDir
    Path dir;

    private DelegatedKeyRing replica(String name, KeyBackend backend) {
        LifecycleStore store = stores.open(name).journal(stores.issuer);
        return DelegatedKeyRing.start(() -> MasterKeyRing.start(backend, store, POLICY, clock), store,
                new ReplicaId(name), InMemorySigning.EPHEMERAL, null, SigningAlgorithm.ES256, Duration.ofHours(1), clock);
    }

    @Test
    void aGoneReplicasSubkeysAreDeletedOncePastPublicationAndTheSurvivorsKept() {
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("keys.p12"), "pw".toCharArray(), clock);
        DelegatedKeyRing a = replica("a", backend);
        DelegatedKeyRing b = replica("b", backend);
        a.tick();
        b.tick();
        LifecycleStore reader = stores.open("reader").journal(stores.issuer);
        assertTrue(reader.loadSubkeys().keySet().containsAll(Set.of("a", "b")));
        Instant lastOfA = reader.loadSubkeys().get("a").subkeys().stream().map(r -> r.unpublishes())
                .max(Instant::compareTo).orElseThrow();

        // a stops for good; b goes on ticking (its check interval) as time passes.
        while (clock.instant().isBefore(lastOfA)) {
            clock.advance(Duration.ofMinutes(10));
            b.tick();
            assertTrue(reader.loadSubkeys().containsKey("a"), "a's row is kept while a subkey of it is published");
        }
        while (reader.loadSubkeys().containsKey("a")) {
            assertTrue(clock.instant().isBefore(lastOfA.plus(Duration.ofHours(2))),
                    "a's row outlives its last subkey's publication by more than the grace");
            clock.advance(Duration.ofMinutes(10));
            b.tick();
        }
        assertEquals(Set.of("b"), reader.loadSubkeys().keySet(), "a live replica's row stays");
    }
}
