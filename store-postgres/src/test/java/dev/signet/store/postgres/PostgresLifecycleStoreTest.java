package dev.signet.store.postgres;

import dev.signet.rotation.KeySet;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.RotationPolicy;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only the PostgreSQL store does: fencing, migrations, notifications to rings, and outages. */
class PostgresLifecycleStoreTest {

    private static final RotationPolicy POLICY = RotationPolicy.builder().build();
    @RegisterExtension
    final ReplicaStores stores = new ReplicaStores();
    private final PostgresCluster pg = stores.pg;
    private final String url = stores.url;
    private final String issuer = stores.issuer;

    private PostgresStore replica(String name) {
        return stores.open(name);
    }

    private static KeySet withKey(KeySet set, String kid) {
        Instant t = Instant.parse("2026-11-30T00:00:00Z");
        KeySet.Builder b = set.toBuilder().prepare(kid, SigningAlgorithm.ES256, t, t);
        b.active().ifPresent(a -> b.retire(a.kid(), t, t.plus(POLICY.retention())));
        return b.activate(kid, t, t.plus(POLICY.rotationPeriod()), "test").build();
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, pg.properties()); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Test
    void aWriterThatLostItsLeaseCanNeverOverwriteANewerJournal() throws SQLException {
        PostgresLifecycleStore a = replica("a").journal(issuer);
        PostgresLifecycleStore b = replica("b").journal(issuer);
        a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
        KeySet seenByA = a.load();

        LifecycleStore.Lock aLock = a.lock();
        assertEquals("a", a.status().leaseHolder());
        // A pauses longer than the lease (GC, VM freeze, partition); B takes over and writes.
        sql("UPDATE signet.lease SET expires_at = clock_timestamp() - interval '1 second'");
        KeySet byB;
        try (LifecycleStore.Lock bLock = b.lock()) {
            assertEquals("b", b.status().leaseHolder());
            byB = withKey(b.load(), "k-b");
            b.compareAndSet(seenByA.version(), byB);
        }
        // A wakes up and writes what it computed before the pause, and even a "correct" next version.
        var stale = assertThrows(SignetException.class, () -> a.compareAndSet(seenByA.version(), withKey(seenByA, "k-a")));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, stale.code());
        var fenced = assertThrows(SignetException.class, () -> a.compareAndSet(byB.version(), withKey(byB, "k-a")));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, fenced.code());
        assertTrue(fenced.getMessage().contains("lost the writer's lease"), fenced.getMessage());
        aLock.close();
        assertEquals(byB, a.load());
        assertEquals("b", a.status().writtenBy());

        // Once A takes the lease again, it writes normally.
        try (LifecycleStore.Lock again = a.lock()) {
            a.compareAndSet(byB.version(), withKey(a.load(), "k-a"));
        }
        assertEquals(byB.version() + 1, b.load().version());
    }

    @Test
    void replicasStartingAtOnceMigrateOnceAndANewerSchemaIsRefused() throws Exception {
        int n = 4;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<PostgresStore>> starts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = "r" + i;
                starts.add(pool.submit(() -> {
                    go.await();
                    return replica(name);
                }));
            }
            go.countDown();
            for (Future<PostgresStore> f : starts) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = DriverManager.getConnection(url, pg.properties());
             ResultSet r = c.createStatement().executeQuery("SELECT count(*), max(version) FROM signet.schema_version")) {
            r.next();
            assertEquals(Schema.latest(), r.getInt(1), "each migration applied once");
            assertEquals(Schema.latest(), r.getInt(2));
        }

        sql("INSERT INTO signet.schema_version (version, description) VALUES (" + (Schema.latest() + 1) + ", 'future')");
        var refused = assertThrows(SignetException.class, () -> replica("old"));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, refused.code());
        assertTrue(refused.getMessage().contains("newer than this Signet"), refused.getMessage());
    }

    /** No RotationScheduler runs here: only the change notification can make replica B drop the key. */
    @Test
    void aRevocationOnOneReplicaStopsEveryConnectedReplicaSigningWithTheKey(@TempDir Path dir) {
        KeyBackend backend = new SoftwareKeyBackend(dir.resolve("keys.p12"), "pw".toCharArray(), Clock.systemUTC());
        stores.closeAfter(backend);
        MasterKeyRing ringA = MasterKeyRing.start(backend, replica("a").journal(issuer), POLICY, Clock.systemUTC());
        LifecycleStore storeB = replica("b").journal(issuer);
        MasterKeyRing ringB = MasterKeyRing.start(backend, storeB, POLICY, Clock.systemUTC());
        stores.closeAfter(storeB.subscribe(ringB::tick));
        String kid = ringB.signingSlot().key().id();
        assertEquals(kid, ringA.signingSlot().key().id());

        long before = System.nanoTime();
        ringA.revoke(kid);
        // The bound is 2 s; the deadline is many times that, and the time taken is reported.
        await(() -> !ids(ringB.published()).contains(kid), Duration.ofSeconds(20), "B still publishes " + kid);
        long millis = (System.nanoTime() - before) / 1_000_000;
        assertNotEquals(kid, ringB.signingSlot().key().id());
        assertEquals(ringA.signingSlot().key().id(), ringB.signingSlot().key().id());
        System.out.println("revocation reached the other replica in " + millis + " ms");
    }

    @Test
    void anOutageIsReportedRefusesChangesAndIsCaughtUpAfter() {
        PostgresLifecycleStore a = replica("a").journal(issuer);
        PostgresLifecycleStore b = replica("b").journal(issuer);
        a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
        AtomicInteger reactions = new AtomicInteger();
        stores.closeAfter(b.subscribe(reactions::incrementAndGet));
        await(() -> b.degraded().isEmpty() && reactions.get() > 0, Duration.ofSeconds(20), "listener never connected");

        pg.stop();
        try {
            var down = assertThrows(SignetException.class, b::load);
            assertEquals(SignetException.Code.UNAVAILABLE, down.code());
            assertTrue(down.retryAfter().isPresent(), "a retry-after for 503s");
            assertFalse(down.getMessage().contains(pg.password()), "no password in errors");
            var noLease = assertThrows(SignetException.class, a::lock);
            assertEquals(SignetException.Code.UNAVAILABLE, noLease.code());
            await(() -> b.degraded().isPresent(), Duration.ofSeconds(30), "the outage is not reported");
            assertTrue(b.degraded().get().contains("PostgreSQL"), b.degraded().get());
        } finally {
            pg.start();
        }
        int beforeReconnect = reactions.get();
        await(() -> b.degraded().isEmpty() && reactions.get() > beforeReconnect, Duration.ofSeconds(30),
                "no reconnect and catch-up after the outage");
        assertEquals(1, b.load().version());
        try (LifecycleStore.Lock lock = a.lock()) {
            a.compareAndSet(1, withKey(a.load(), "k2"));
        }
        assertEquals(2, b.load().version());
    }

    /**
     * The window between a replica's first read and its subscription: a change made there is notified while nobody
     * listens for it, so the subscription itself must bring it.
     */
    @Test
    void aSubscriberIsCalledAtRegistrationForAChangeNotifiedBeforeIt() {
        PostgresLifecycleStore a = replica("a").journal(issuer);
        PostgresStore storeB = replica("b");
        PostgresLifecycleStore b = storeB.journal(issuer);
        assertEquals(0, b.load().version());
        writeAndAwaitItsNotification(a, storeB);
        AtomicInteger reactions = new AtomicInteger();
        stores.closeAfter(b.subscribe(reactions::incrementAndGet));
        // Bound: at once (a virtual thread); the deadline is many times that.
        await(() -> reactions.get() > 0, Duration.ofSeconds(20), "the change before the subscription is never read");
        assertEquals(1, b.load().version());
    }

    /**
     * A reaction that fails (a statement timeout on a loaded host, say) is run again without a new notification:
     * its notification is spent, and the periodic re-read comes only a check interval later.
     */
    @Test
    void aReactionThatFailsIsRunAgainUntilItSucceeds() {
        PostgresStore storeB = replica("b");
        writeAndAwaitItsNotification(replica("a").journal(issuer), storeB);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger succeeded = new AtomicInteger();
        stores.closeAfter(storeB.journal(issuer).subscribe(() -> {
            if (runs.incrementAndGet() <= 3) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "statement timeout");
            }
            succeeded.incrementAndGet();
        }));
        // Bound: 1 + 2 + 4 s of pauses (PostgresStore.RETRY_FIRST, doubling); the deadline is many times that.
        await(() -> succeeded.get() == 1, Duration.ofSeconds(60), "a failed reaction is not run again");
        assertEquals(4, runs.get(), "run until it succeeded, then no more without a change");
    }

    /** Writes the first journal through {@code a}; returns once {@code b}'s listener has had its notification. */
    private static void writeAndAwaitItsNotification(PostgresLifecycleStore a, PostgresStore b) {
        // b's listener connects on its own thread: a write before its LISTEN is never notified to it.
        await(() -> b.degraded().isEmpty(), Duration.ofSeconds(20), "b is not listening");
        try (LifecycleStore.Lock lock = a.lock()) {
            a.compareAndSet(0, withKey(KeySet.empty(), "k1"));
        }
        await(() -> b.lastNotification().isPresent(), Duration.ofSeconds(20), "no notification reached b");
    }

    private static List<String> ids(List<SigningKey> keys) {
        return keys.stream().map(SigningKey::id).toList();
    }

    private static void await(BooleanSupplier condition, Duration deadline, String failure) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(failure + " within " + deadline);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
