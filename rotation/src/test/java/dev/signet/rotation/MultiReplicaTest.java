package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replicas in one JVM sharing a data dir: threads race through the per-file lock and the journal's version. */
class MultiReplicaTest {

    @TempDir
    Path dir;

    @Test
    void replicasTickingTheSameDueRotationCreateOneKeyAndAgree() throws Exception {
        MutableClock clock = new MutableClock(Fixtures.START);
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("keys.p12"), Fixtures.PASSWORD, clock);
        List<MasterKeyRing> replicas = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replicas.add(MasterKeyRing.start(backend, new FileLifecycleStore(dir.resolve("issuer")),
                    Fixtures.DAILY, clock));
        }
        assertEquals(1, backend.list().size(), "four starts, one bootstrap key");

        for (Duration at : List.of(Duration.ofHours(22), Duration.ofHours(24), Duration.ofHours(25).plusMinutes(35))) {
            clock.set(Fixtures.START.plus(at));
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(replicas.size());
            List<Future<?>> ticks = new ArrayList<>();
            for (MasterKeyRing r : replicas) {
                ticks.add(pool.submit(() -> {
                    go.await();
                    r.tick();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> t : ticks) {
                t.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            for (MasterKeyRing r : replicas) {
                assertEquals(replicas.getFirst().keySet(), r.keySet(), "same journal at " + at);
                assertEquals(ids(replicas.getFirst().published()), ids(r.published()));
                assertEquals(replicas.getFirst().signingSlot().key().id(), r.signingSlot().key().id());
            }
        }
        // Prepared once at 22 h, activated at 24 h, the first key unpublished at 24 h + retention and destroyed.
        assertEquals(1, backend.list().size());
        assertEquals(2, replicas.getFirst().keySet().keys().size());
        assertEquals(KeyState.DESTROYED, replicas.getFirst().keySet().keys().getFirst().state());
    }

    @Test
    void anOperatorVerbOnOneReplicaReachesTheOthersAtTheirNextTick() {
        MutableClock clock = new MutableClock(Fixtures.START);
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("keys.p12"), Fixtures.PASSWORD, clock);
        MasterKeyRing a = MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock);
        MasterKeyRing b = MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock);
        String first = a.signingSlot().key().id();
        a.revoke(first);
        assertTrue(ids(b.published()).contains(first), "b has not re-read yet");
        b.tick();
        assertEquals(ids(a.published()), ids(b.published()));
        assertEquals(a.signingSlot().key().id(), b.signingSlot().key().id());
    }

    static List<String> ids(List<SigningKey> keys) {
        return keys.stream().map(SigningKey::id).sorted().toList();
    }
}
