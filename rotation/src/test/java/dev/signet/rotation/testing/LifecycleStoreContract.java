package dev.signet.rotation.testing;

import dev.signet.rotation.KeyIntent;
import dev.signet.rotation.KeySet;
import dev.signet.rotation.KeyState;
import dev.signet.rotation.SubkeyRecord;
import dev.signet.rotation.SubkeySet;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.RotationPolicy;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link LifecycleStore} promises, run by each store (file, in-memory, PostgreSQL) as
 * {@code KeyBackendContract} is by each backend. A subclass gives {@link #replica}: handles on one fresh
 * journal per test, as separate replicas (processes or hosts) would hold them.
 */
public abstract class LifecycleStoreContract {

    private static final RotationPolicy POLICY = RotationPolicy.builder().build();
    private static final Instant T0 = Instant.parse("2026-11-30T00:00:00Z");

    /** A handle on this test's journal as replica {@code name} sees it; the same name may be asked twice. */
    protected abstract LifecycleStore replica(String name);

    /** Whether {@link LifecycleStore#subscribe} reports other replicas' writes (stores that cannot may not). */
    protected boolean notifies() {
        return false;
    }

    /** The journal after {@code set}, with one more key, ACTIVE (forced), the previous one RETIRED. */
    protected static KeySet withKey(KeySet set, String kid) {
        KeySet.Builder b = set.toBuilder().prepare(kid, SigningAlgorithm.ES256, T0, T0.plus(Duration.ofHours(2)));
        b.active().ifPresent(a -> b.retire(a.kid(), T0, T0.plus(POLICY.retention())));
        return b.activate(kid, T0, T0.plus(POLICY.rotationPeriod()), "contract test").build();
    }

    @Test
    void anUnwrittenJournalIsEmpty() {
        KeySet loaded = replica("a").load();
        assertEquals(0, loaded.version());
        assertTrue(loaded.keys().isEmpty());
    }

    @Test
    void aWrittenJournalReadsBackEqualOnEveryReplica() {
        LifecycleStore a = replica("a");
        KeySet v1 = withKey(KeySet.empty(), "k1");
        a.compareAndSet(0, v1);
        KeySet v2 = withKey(v1, "k2");
        a.compareAndSet(1, v2);
        assertEquals(v2, a.load());
        assertEquals(v2, replica("b").load());
    }

    @Test
    void aStaleVersionIsRefusedAndChangesNothing() {
        LifecycleStore a = replica("a");
        KeySet v1 = withKey(KeySet.empty(), "k1");
        a.compareAndSet(0, v1);
        LifecycleStore b = replica("b");
        var stale = assertThrows(SignetException.class, () -> b.compareAndSet(0, withKey(KeySet.empty(), "k2")));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, stale.code());
        var skipping = assertThrows(SignetException.class, () -> b.compareAndSet(1, withKey(withKey(v1, "k2"), "k3")));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, skipping.code());
        var wrongNext = assertThrows(SignetException.class, () -> b.compareAndSet(1, v1));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, wrongNext.code());
        assertEquals(v1, b.load());
    }

    @Test
    void theLockIsReentrantWithinAThread() {
        LifecycleStore a = replica("a");
        try (LifecycleStore.Lock outer = a.lock()) {
            try (LifecycleStore.Lock inner = a.lock()) {
                a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
            }
            a.compareAndSet(1, withKey(a.load(), "k2"));
        }
        assertEquals(2, replica("b").load().version());
    }

    /**
     * Two replicas, two threads each, every change a read-modify-write under the lock: if the lock ever let
     * two writers in, one's compare-and-set would fail.
     */
    @Test
    void theLockMakesReplicasAndThreadsTakeTurns() throws Exception {
        List<LifecycleStore> replicas = List.of(replica("a"), replica("b"));
        int threadsPerReplica = 2;
        int changesEach = 5;
        ExecutorService pool = Executors.newFixedThreadPool(replicas.size() * threadsPerReplica);
        AtomicInteger kids = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (LifecycleStore r : replicas) {
                for (int t = 0; t < threadsPerReplica; t++) {
                    runs.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < changesEach; i++) {
                            try (LifecycleStore.Lock lock = r.lock()) {
                                KeySet set = r.load();
                                r.compareAndSet(set.version(), withKey(set, "k" + kids.incrementAndGet()));
                            }
                        }
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> f : runs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        KeySet last = replicas.getFirst().load();
        int expected = replicas.size() * threadsPerReplica * changesEach;
        assertEquals(expected, last.version());
        assertEquals(expected, last.keys().size());
    }

    /** Writers that skip the lock still cannot both win from one version. */
    @Test
    void ofWritersRacingFromOneVersionExactlyOneWins() throws Exception {
        LifecycleStore a = replica("a");
        a.compareAndSet(0, withKey(KeySet.empty(), "k0"));
        List<LifecycleStore> writers = List.of(a, replica("b"), replica("c"));
        KeySet base = a.load();
        ExecutorService pool = Executors.newFixedThreadPool(writers.size());
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger won = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < writers.size(); i++) {
                LifecycleStore w = writers.get(i);
                String kid = "racer" + i;
                runs.add(pool.submit(() -> {
                    go.await();
                    try {
                        w.compareAndSet(base.version(), withKey(base, kid));
                        won.incrementAndGet();
                    } catch (SignetException e) {
                        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : runs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, won.get());
        assertEquals(writers.size() - 1, refused.get());
        assertEquals(base.version() + 1, a.load().version());
    }

    @Test
    void subscribersLearnOfAnotherReplicasWrite() throws Exception {
        if (!notifies()) {
            assertTrue(replica("a").degraded().isEmpty(), "a store that cannot notify still reports its health");
            return;
        }
        LifecycleStore b = replica("b");
        java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong(-1);
        try (LifecycleStore.Subscription s = b.subscribe(() -> read.set(b.load().version()))) {
            // The call at registration, and the store listening; only a notification brings the write below.
            await(() -> read.get() == 0 && b.degraded().isEmpty(), "no call at registration");
            replica("a").compareAndSet(0, withKey(KeySet.empty(), "k1"));
            // The bound is 2 s; the deadline is many times that so a slow machine cannot fail it.
            await(() -> read.get() == 1, "no notification of the write");
        }
    }

    @Test
    void intentsAreKeptInOrderOnEveryReplicaUntilCleared() {
        LifecycleStore a = replica("a");
        assertTrue(a.intents().isEmpty());
        KeyIntent g = KeyIntent.generate(T0, 0, java.util.Set.of("old1", "old2"));
        KeyIntent d = KeyIntent.destroy(T0.plusSeconds(1), 0, "k9");
        try (LifecycleStore.Lock lock = a.lock()) {
            a.recordIntent(g);
            a.recordIntent(d);
        }
        assertEquals(List.of(g, d), replica("b").intents());
        a.clearIntent(g.id());
        a.clearIntent("not-an-intent");
        assertEquals(List.of(d), replica("b").intents());
        replica("b").clearIntent(d.id());
        assertTrue(a.intents().isEmpty());
    }

    /** Recording takes the lock itself (reentrant), so a replica holding it elsewhere makes the recorder wait. */
    @Test
    void recordingAnIntentWaitsForTheLock() throws Exception {
        LifecycleStore a = replica("a");
        LifecycleStore b = replica("b");
        KeyIntent g = KeyIntent.generate(T0, 0, java.util.Set.of());
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<?> recorded;
            try (LifecycleStore.Lock lock = a.lock()) {
                recorded = other.submit(() -> b.recordIntent(g));
                a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
                assertTrue(a.intents().isEmpty(), "recorded while another replica held the lock");
            }
            recorded.get(60, TimeUnit.SECONDS);
        } finally {
            other.shutdownNow();
        }
        assertEquals(List.of(g), a.intents());
    }

    @Test
    void issuerStartedOnceAJournalWasWritten() {
        LifecycleStore a = replica("a");
        if (!tellsIssuerStarted()) {
            assertFalse(a.issuerStarted(), "a store that keeps no marker answers false");
            return;
        }
        assertFalse(a.issuerStarted());
        a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
        assertTrue(replica("b").issuerStarted());
    }

    /** Whether the store keeps the marker {@link LifecycleStore#issuerStarted} reads (the in-memory one need not). */
    protected boolean tellsIssuerStarted() {
        return true;
    }

    /** A subkey record as replica {@code replica} would journal it (certificates need not parse here). */
    protected static SubkeyRecord subkey(String kid, KeyState state, boolean wrapped) {
        return new SubkeyRecord(kid, SigningAlgorithm.ES256, state, "master1", T0, T0.plus(Duration.ofHours(1)),
                T0.plus(Duration.ofHours(2)), T0.plus(Duration.ofHours(4)), "TGVhZg==", "TWFzdGVy",
                wrapped ? "arn:aws:kms:eu-west-1:000000000000:alias/signet wrap" : null, wrapped ? "d3JhcHBlZA==" : null);
    }

    @Test
    void noSubkeysUntilAReplicaWritesSome() {
        assertTrue(replica("a").loadSubkeys().isEmpty());
    }

    @Test
    void everyReplicaReadsEveryReplicasSubkeys() {
        LifecycleStore a = replica("a");
        LifecycleStore b = replica("b");
        SubkeySet ofA = SubkeySet.empty().next(List.of(subkey("sa1", KeyState.ACTIVE, true),
                subkey("sa2", KeyState.PREPARED, true)));
        SubkeySet ofB = SubkeySet.empty().next(List.of(subkey("sb1", KeyState.RETIRED, false)));
        a.compareAndSetSubkeys("a", 0, ofA);
        b.compareAndSetSubkeys("b", 0, ofB);
        SubkeySet ofA2 = ofA.next(List.of(subkey("sa2", KeyState.ACTIVE, true)));
        a.compareAndSetSubkeys("a", 1, ofA2);
        Map<String, SubkeySet> expected = Map.of("a", ofA2, "b", ofB);
        assertEquals(expected, a.loadSubkeys());
        assertEquals(expected, b.loadSubkeys());
        assertEquals(expected, replica("c").loadSubkeys());
        assertEquals(0, a.load().version(), "subkeys are not the master journal");
    }

    @Test
    void aStaleSubkeyVersionIsRefusedAndChangesNothing() {
        LifecycleStore a = replica("a");
        SubkeySet v1 = SubkeySet.empty().next(List.of(subkey("s1", KeyState.ACTIVE, false)));
        a.compareAndSetSubkeys("a", 0, v1);
        var stale = assertThrows(SignetException.class, () -> replica("a").compareAndSetSubkeys("a", 0,
                SubkeySet.empty().next(List.of(subkey("s2", KeyState.ACTIVE, false)))));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, stale.code());
        var skipping = assertThrows(SignetException.class, () -> a.compareAndSetSubkeys("a", 1, v1.next(List.of()).next(List.of())));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, skipping.code());
        assertEquals(Map.of("a", v1), replica("b").loadSubkeys());
    }

    @Test
    void aReplicasSubkeysAreDeletedOnlyAtTheVersionSeen() {
        LifecycleStore a = replica("a");
        SubkeySet v1 = SubkeySet.empty().next(List.of(subkey("s1", KeyState.ACTIVE, false)));
        a.compareAndSetSubkeys("a", 0, v1);
        SubkeySet v2 = v1.next(List.of(subkey("s2", KeyState.ACTIVE, false)));
        a.compareAndSetSubkeys("a", 1, v2);
        LifecycleStore b = replica("b");
        assertFalse(b.deleteSubkeys("a", 1), "a wrote since: its row stays");
        assertEquals(Map.of("a", v2), b.loadSubkeys());
        assertTrue(b.deleteSubkeys("a", 2));
        assertTrue(replica("c").loadSubkeys().isEmpty());
        assertFalse(b.deleteSubkeys("a", 2), "already gone");
    }

    /** A replica writes its subkeys while another holds the writer's lock (lease) for as long as it likes. */
    @Test
    void subkeysAreWrittenWithoutTheWritersLock() throws Exception {
        LifecycleStore a = replica("a");
        LifecycleStore b = replica("b");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (LifecycleStore.Lock held = a.lock()) {
            SubkeySet ofB = SubkeySet.empty().next(List.of(subkey("sb1", KeyState.PREPARED, true)));
            other.submit(() -> b.compareAndSetSubkeys("b", 0, ofB)).get(20, TimeUnit.SECONDS);
            assertEquals(Map.of("b", ofB), a.loadSubkeys());
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void subscribersLearnOfAnotherReplicasSubkeys() throws Exception {
        if (!notifies()) {
            return;
        }
        LifecycleStore b = replica("b");
        java.util.concurrent.atomic.AtomicReference<java.util.Set<String>> read = new java.util.concurrent.atomic.AtomicReference<>();
        try (LifecycleStore.Subscription s = b.subscribe(() -> read.set(b.loadSubkeys().keySet()))) {
            await(() -> read.get() != null && read.get().isEmpty() && b.degraded().isEmpty(), "no call at registration");
            replica("a").compareAndSetSubkeys("a", 0, SubkeySet.empty().next(List.of(subkey("s1", KeyState.PREPARED, true))));
            await(() -> read.get().contains("a"), "no notification of the subkey write");
        }
    }

    /** Polls {@code condition} for 20 s, many times the 2 s bound of a notification. */
    private static void await(java.util.function.BooleanSupplier condition, String failure) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(failure + " within 20 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
