package dev.signet.api;

import dev.signet.audit.AuditLog;
import dev.signet.audit.AuditTrail;
import dev.signet.audit.CheckpointKeys;
import dev.signet.rotation.DelegatedKeyRing;
import dev.signet.rotation.FileLifecycleStore;
import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.ReplicaId;
import dev.signet.rotation.RotationScheduler;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackends;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;
import dev.signet.spi.WrappingKey;
import dev.signet.store.postgres.PostgresStore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** A running Signet: backend, key ring and server, opened in that order and closed in reverse. */
public final class Daemon implements AutoCloseable {

    /** Not a static field: {@link #beginStart} initialises this class before the command line sets up logging. */
    private static System.Logger log() {
        return System.getLogger(Daemon.class.getName());
    }

    private final KeyBackend backend;
    private final Journal journal;
    private final KeyRing keyRing;
    private final RotationScheduler scheduler;
    private final AuditLog audit;
    private final java.util.concurrent.ScheduledExecutorService transitionWatch;
    private final SignetServer server;

    private Daemon(KeyBackend backend, Journal journal, KeyRing keyRing, RotationScheduler scheduler, AuditLog audit,
                   java.util.concurrent.ScheduledExecutorService transitionWatch,
                   SignetServer server) {
        this.backend = backend;
        this.journal = journal;
        this.keyRing = keyRing;
        this.scheduler = scheduler;
        this.audit = audit;
        this.transitionWatch = transitionWatch;
        this.server = server;
    }

    /** The issuer's journal store and, with {@code signet.store.type: postgres}, the database it lives in. */
    record Journal(LifecycleStore store, PostgresStore database) implements AutoCloseable {

        static Journal open(SignetConfig config, ReplicaId replica) {
            refuseOldSubkeyDirectory(issuerDir(config));
            SignetConfig.Store s = config.store();
            if (!s.postgres()) {
                return new Journal(new FileLifecycleStore(issuerDir(config)), null);
            }
            PostgresStore db = PostgresStore.open(new PostgresStore.Settings(s.url(), s.user(),
                    s.password(System::getenv), replica, s.leaseTtl(),
                    PostgresStore.Settings.DEFAULT_STATEMENT_TIMEOUT));
            return new Journal(db.journal(config.issuer()), db);
        }

        @Override
        public void close() {
            if (database != null) {
                database.close();
            }
        }
    }

    /**
     * @throws dev.signet.spi.SignetException INVALID_ARGUMENT for configuration errors; there is no
     *         fallback to another backend
     */
    public static Daemon start(SignetConfig config, Clock clock) {
        return start(config, clock, false);
    }

    /**
     * Creates (or finds) the delegation wrapping key {@code signet.delegation.wrapping-key} names, in the backend
     * the configuration names, without starting anything: do it once before starting several replicas at once,
     * which would otherwise each try to create it (a daemon still creates it at start if it is missing).
     *
     * @return the backend's id for it
     * @throws dev.signet.spi.SignetException INVALID_ARGUMENT when no wrapping key is configured or the backend
     *         cannot wrap; UNAVAILABLE when the backend cannot be reached
     */
    public static String createWrappingKey(SignetConfig config, Clock clock) {
        if (config.delegation() == null || config.delegation().wrappingKey() == null) {
            throw new dev.signet.spi.SignetException(dev.signet.spi.SignetException.Code.INVALID_ARGUMENT,
                    "the configuration names no wrapping key: set signet.mode: delegated and"
                            + " signet.delegation.wrapping-key (a KMS alias/... or a PKCS#11 label)");
        }
        try (KeyBackend backend = KeyBackends.open(config.backendType(), new BackendSettings(config.backendValues(),
                config.dataDir(), config.issuer(), clock, System::getenv))) {
            return backend.wrappingKey(config.delegation().wrappingKey(), true).id();
        }
    }

    /**
     * @param initIssuer the operator's {@code --init-issuer}: start a new issuer although the data dir's marker
     *                   or the backend's keys show one existed and its journal is gone
     * @throws dev.signet.spi.SignetException FAILED_PRECONDITION when the journal is missing but the issuer
     *         existed, unless {@code initIssuer}; INTERNAL when the journal is damaged
     */
    public static Daemon start(SignetConfig config, Clock clock, boolean initIssuer) {
        beginStart("software".equals(config.backendType()) || config.delegation() != null);
        ReplicaId replica = ReplicaId.resolve(config.replicaId(), config.dataDir());
        log().log(System.Logger.Level.INFO, "replica {0} starting for {1}", replica, config.issuer());
        KeyBackend backend = MeteredKeyBackend.wrap(KeyBackends.open(config.backendType(), new BackendSettings(
                config.backendValues(), config.dataDir(), config.issuer(), clock, System::getenv)));
        RotationScheduler scheduler = null;
        AuditLog audit = null;
        java.util.concurrent.ScheduledExecutorService transitionWatch = null;
        Journal journal = null;
        try {
            journal = Journal.open(config, replica);
            LifecycleStore store = journal.store();
            KeyRing ring;
            MasterKeyRing masters;
            if (config.delegation() == null) {
                ring = masters = MasterKeyRing.start(backend, store, config.rotation(), clock, initIssuer);
            } else {
                String wrappingName = config.delegation().wrappingKey();
                WrappingKey wrapping = wrappingName == null ? null : backend.wrappingKey(wrappingName, true);
                DelegatedKeyRing delegated = DelegatedKeyRing.start(
                        () -> MasterKeyRing.start(backend, store, config.rotation(), clock, initIssuer), store,
                        replica, InMemorySigning.EPHEMERAL, wrapping,
                        config.delegation().algorithm(), config.delegation().lifetime(), clock);
                ring = delegated;
                masters = delegated.master();
            }
            scheduler = RotationScheduler.start(Map.of(config.issuer(), ring), config.rotation().checkInterval());
            // Another replica's change (a revocation above all) is applied at once, not at the next tick.
            store.subscribe(ring::tick);
            AuditTrail trail = AuditTrail.NONE;
            if (config.audit() == null) {
                log().log(System.Logger.Level.WARNING, "signet.audit.durability is none: NOTHING IS AUDITED;"
                        + " this setting exists to measure what the audit trail costs, not for service");
            } else {
                trail = audit = openAudit(config, replica, backend, masters, clock);
                if (store instanceof dev.signet.store.postgres.PostgresLifecycleStore pg) {
                    // Each checkpoint's head goes to the database, off the signing path, for audit verify --heads-from.
                    var heads = pg.auditHeads();
                    audit.onCheckpoint(h -> heads.publish(new dev.signet.store.postgres.PostgresAuditHeads.Head(
                            h.replica(), h.seq(), h.head(), h.time(), h.jws())));
                }
                KeyTransitions transitions = new KeyTransitions(ring, audit);
                transitions.observe();
                transitionWatch = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().name("signet-key-transitions").daemon().factory());
                long every = config.rotation().checkInterval().toMillis();
                transitionWatch.scheduleWithFixedDelay(transitions::observe, every, every,
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            // The audit log's files and fsyncs above overlapped the registry's start too; the server needs it.
            MetricsStart.await();
            replicaMetrics(replica, masters);
            if (audit != null) {
                auditMetrics(audit);
            }
            return new Daemon(backend, journal, ring, scheduler, audit, transitionWatch, SignetServer.start(config,
                    replica, backend, store, ring, masters, trail, clock));
        } catch (RuntimeException e) {
            if (transitionWatch != null) {
                transitionWatch.shutdownNow();
            }
            if (audit != null) {
                audit.close();
            }
            if (scheduler != null) {
                scheduler.close();
            }
            if (journal != null) {
                journal.close();
            }
            backend.close();
            throw e;
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean SIGNER_STARTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts, each on a thread of its own and once per process, what a daemon's start would otherwise wait for:
     * Helidon's meter registry (awaited before anything else meters) and binding OpenSSL (generation and signing
     * for software keys and subkeys, verification for exchange), with a throwaway key through every call a first
     * key makes. A command line that will start a daemon calls this before it sets up logging and reads its
     * configuration (a fifth of the main thread's way to healthy), so both are done by the time they are needed;
     * {@link #start} calls it too.
     *
     * @param inMemoryKeys whether keys will be made or loaded in this process (software backend, delegated subkeys),
     *                     not only verified
     */
    public static void beginStart(boolean inMemoryKeys) {
        MetricsStart.begin();
        if (SIGNER_STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().name("signet-signer-start").daemon().start(() -> InMemorySigning.prepare(inMemoryKeys));
        }
    }

    /**
     * This replica's audit log, under {@code <audit dir>/<replica id>}; checkpoints are signed by the master key
     * (the backend key in both modes), one backend call per checkpoint.
     */
    private static AuditLog openAudit(SignetConfig config, ReplicaId replica, KeyBackend backend, KeyRing masters,
                                      Clock clock) {
        SignetConfig.Audit a = config.audit();
        AuditLog.Options options = AuditLog.Options.defaults(a.dir().resolve(replica.value()), replica.value())
                .with(a.durability()).withRetention(a.retention())
                .withCheckpoints(a.checkpointEvery(), a.checkpointInterval());
        return AuditLog.open(options, new CheckpointKeys() {
            public SigningKey current() {
                return masters.signingSlot().key();
            }

            public Optional<SigningKey> find(String kid) {
                try {
                    return Optional.of(backend.get(kid));
                } catch (SignetException e) {
                    return Optional.empty();
                }
            }
        }, clock);
    }

    /** Per-replica gauges: which replica this is, and the journal version it serves (compare across replicas). */
    private static void replicaMetrics(ReplicaId replica, MasterKeyRing masters) {
        var tags = java.util.List.of(io.helidon.metrics.api.Tag.create("replica", replica.value()));
        var registry = io.helidon.metrics.api.Metrics.globalRegistry();
        registry.getOrCreate(io.helidon.metrics.api.Gauge.builder("signet.replica", () -> 1)
                .description("This replica (the replica tag); always 1").tags(tags));
        registry.getOrCreate(io.helidon.metrics.api.Gauge.builder("signet.journal.version",
                        () -> masters.keySet().version())
                .description("The key journal version this replica serves").tags(tags));
    }

    /** How many requests share an fdatasync: tokens issued over this. */
    private static void auditMetrics(AuditLog audit) {
        io.helidon.metrics.api.Metrics.globalRegistry().getOrCreate(io.helidon.metrics.api.Gauge.builder(
                        "signet.audit.groups", audit::groupsWritten)
                .description("Groups of requests' audit records made durable, one fdatasync each"));
    }

    public AuditLog audit() {
        return audit;
    }

    public SignetServer server() {
        return server;
    }

    public KeyBackend backend() {
        return backend;
    }

    public KeyRing keyRing() {
        return keyRing;
    }

    /**
     * Before subkeys were journaled in the store, each process kept them in {@code <issuer dir>/subkeys/}. They are
     * not migrated: a process of that version had its subkeys' private parts only in memory, so they cannot sign
     * again; but the tokens they signed must keep verifying, so a start that would drop them from the JWKS is refused.
     *
     * @throws SignetException FAILED_PRECONDITION naming the directory and the fix
     */
    static void refuseOldSubkeyDirectory(Path issuerDir) {
        Path old = issuerDir.resolve("subkeys");
        if (java.nio.file.Files.isDirectory(old)) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "found " + old + ", where an older"
                    + " Signet kept delegated subkeys; this one keeps them in the key store and would stop publishing"
                    + " those, so tokens they signed would stop verifying. Once every replica of the older version has"
                    + " been stopped for longer than signet.rotation.max-token-ttl + clock-skew (every such token has"
                    + " expired), remove the directory and start again (ops/RUNBOOK.md, \"Upgrading delegated mode\")");
        }
    }

    /** The key journal of one issuer: {@code <data-dir>/rotation/<issuer as a file name>}. */
    static Path issuerDir(SignetConfig config) {
        return config.dataDir().resolve("rotation").resolve(config.issuer().replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    @Override
    public void close() {
        server.close();
        if (transitionWatch != null) {
            transitionWatch.shutdownNow();
        }
        if (audit != null) {
            audit.close();
        }
        scheduler.close();
        journal.close();
        keyRing.close();
        backend.close();
    }
}
