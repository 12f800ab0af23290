package dev.signet.store.postgres;

import dev.signet.rotation.ReplicaId;
import dev.signet.spi.SignetException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One PostgreSQL database holding the key journals of any number of issuers (rows keyed by issuer in schema
 * {@code signet}): a small connection pool, the schema migrated at {@link #open}, and one connection that
 * {@code LISTEN}s for journal changes and hands them to each issuer's subscribers. Issuers get their
 * {@link PostgresLifecycleStore} from {@link #journal(String)}.
 */
public final class PostgresStore implements AutoCloseable {

    static final String CHANNEL = "signet_journal";
    private static final System.Logger LOG = System.getLogger(PostgresStore.class.getName());
    private static final Duration PING_EVERY = Duration.ofSeconds(5);
    private static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);

    /**
     * Where the database is and how this replica uses it.
     *
     * @param url              a JDBC URL, {@code jdbc:postgresql://host:5432/db}
     * @param password         null for a server that needs none; never logged or shown
     * @param leaseTtl         how long the writer's lease outlives its holder's last word; a holder that dies
     *                         mid-change blocks others' changes (never signing) for at most this long
     * @param statementTimeout every statement's bound ({@code statement_timeout}); the socket's is three times it
     */
    public record Settings(String url, String user, String password, ReplicaId replica, Duration leaseTtl,
                           Duration statementTimeout) {

        public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
        public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);

        public Settings {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(replica, "replica");
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "signet.store.url must be a jdbc:postgresql: URL, not '" + url + "'");
            }
            if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0 || statementTimeout.compareTo(Duration.ofMillis(100)) < 0) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "the lease ttl must be at least 1 s and the statement timeout at least 100 ms");
            }
        }

        public Settings(String url, String user, String password, ReplicaId replica) {
            this(url, user, password, replica, DEFAULT_LEASE_TTL, DEFAULT_STATEMENT_TIMEOUT);
        }

        @Override
        public String toString() {
            return "Settings[" + url + ", user " + user + ", replica " + replica + "]";
        }
    }

    private final Settings settings;
    private final ConnectionPool pool;
    private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final ExecutorService dispatch = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread listener;
    private volatile boolean closed;
    private volatile String listenerDown = "not connected yet";
    private volatile String poolDown;
    private volatile Instant lastNotification;

    private PostgresStore(Settings settings) {
        this.settings = settings;
        Properties p = new Properties();
        if (settings.user() != null) {
            p.setProperty("user", settings.user());
        }
        if (settings.password() != null) {
            p.setProperty("password", settings.password());
        }
        long statementMillis = settings.statementTimeout().toMillis();
        p.setProperty("options", "-c statement_timeout=" + statementMillis
                + " -c idle_in_transaction_session_timeout=" + Math.max(60_000, 3 * statementMillis));
        // Connecting forks a server process and runs SCRAM: slower than a statement on a busy host.
        long connectSeconds = Math.max(10, 2 * settings.statementTimeout().toSeconds());
        p.setProperty("connectTimeout", Long.toString(connectSeconds));
        p.setProperty("loginTimeout", Long.toString(connectSeconds));
        p.setProperty("socketTimeout", Long.toString(Math.max(1, 3 * settings.statementTimeout().toSeconds())));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", "signet " + settings.replica());
        this.pool = new ConnectionPool(settings.url(), p, 4, settings.statementTimeout());
        this.listener = Thread.ofPlatform().daemon().name("signet-pg-listen").unstarted(this::listen);
    }

    /**
     * Connects, creates or migrates the schema and starts listening for changes.
     *
     * @throws SignetException UNAVAILABLE if the database cannot be reached (the message says why);
     *                         FAILED_PRECONDITION if a newer Signet migrated it
     */
    public static PostgresStore open(Settings settings) {
        PostgresStore store = new PostgresStore(settings);
        try {
            int before = store.migrateWithin(OPEN_PATIENCE);
            if (before < Schema.latest()) {
                LOG.log(System.Logger.Level.INFO, "PostgreSQL schema {0} migrated from version {1} to {2}",
                        Schema.NAME, before, Schema.latest());
            }
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        store.listener.start();
        return store;
    }

    /** A database that is still starting (or a replica started with it) is waited for this long at open. */
    private static final Duration OPEN_PATIENCE = Duration.ofSeconds(30);

    private int migrateWithin(Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return pool.inTransaction("migrate the schema", Schema::migrate);
            } catch (SignetException e) {
                if (e.code() != SignetException.Code.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "waiting for PostgreSQL: {0}", e.getMessage());
                try {
                    Thread.sleep(RECONNECT_PAUSE.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The journal of one issuer in this database. */
    public PostgresLifecycleStore journal(String issuer) {
        return new PostgresLifecycleStore(this, issuer);
    }

    public ReplicaId replica() {
        return settings.replica();
    }

    Settings settings() {
        return settings;
    }

    <T> T inTransaction(String what, ConnectionPool.Work<T> work) {
        try {
            T result = pool.inTransaction(what, work);
            poolDown = null;
            return result;
        } catch (SignetException e) {
            if (e.code() == SignetException.Code.UNAVAILABLE) {
                poolDown = e.getMessage();
            }
            throw e;
        }
    }

    /** Why the database cannot be reached, if it cannot: the listener's or the last statement's failure. */
    public Optional<String> degraded() {
        String l = listenerDown;
        String p = poolDown;
        return l != null ? Optional.of("PostgreSQL change notifications: " + l)
                : Optional.ofNullable(p);
    }

    /** When the last change notification arrived, if one has. */
    public Optional<Instant> lastNotification() {
        return Optional.ofNullable(lastNotification);
    }

    /** The first pause before a failed reaction runs again; it doubles up to {@link #RETRY_MAX}. */
    static final Duration RETRY_FIRST = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = PING_EVERY;

    /**
     * A subscriber runs at most once at a time; notifications while it runs or waits fold into one more run. A
     * run that throws is run again after {@link #RETRY_FIRST}, doubling to {@link #RETRY_MAX}, until one succeeds:
     * its notification is spent, and the periodic re-read would leave the replica behind for a whole check interval.
     */
    private final class Subscriber {
        private final Runnable onChange;
        private final AtomicBoolean pending = new AtomicBoolean();
        private final AtomicBoolean running = new AtomicBoolean();
        private volatile boolean cancelled;

        Subscriber(Runnable onChange) {
            this.onChange = onChange;
        }

        void fire() {
            pending.set(true);
            if (!closed && !cancelled && running.compareAndSet(false, true)) {
                dispatch.execute(this::drain);
            }
        }

        private void drain() {
            Duration pause = RETRY_FIRST;
            try {
                while (!closed && !cancelled && pending.getAndSet(false)) {
                    try {
                        onChange.run();
                        pause = RETRY_FIRST;
                    } catch (RuntimeException e) {
                        if (pause.equals(RETRY_FIRST)) {
                            LOG.log(System.Logger.Level.WARNING, "reacting to a journal change failed; retrying"
                                    + " every {0} s at most until it succeeds: {1}", RETRY_MAX.toSeconds(), e.getMessage());
                        }
                        pending.set(true);
                        Thread.sleep(pause);
                        pause = pause.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : pause.multipliedBy(2);
                    }
                }
            } catch (InterruptedException e) {
                return; // closed
            } finally {
                running.set(false);
            }
            if (pending.get()) {
                fire(); // a notification that came after the last check but before running was cleared
            }
        }
    }

    /**
     * Calls {@code onChange} on every change of {@code issuer}'s rows, after each reconnect, and once now: a change
     * made between the caller's last read and this registration was notified to nobody.
     */
    dev.signet.rotation.LifecycleStore.Subscription subscribe(String issuer, Runnable onChange) {
        Subscriber s = new Subscriber(onChange);
        subscribers.computeIfAbsent(issuer, i -> new CopyOnWriteArrayList<>()).add(s);
        s.fire();
        return () -> {
            s.cancelled = true;
            subscribers.getOrDefault(issuer, List.of()).remove(s);
        };
    }

    private void fireAll() {
        subscribers.values().forEach(list -> list.forEach(Subscriber::fire));
    }

    /** Payload of a change notification: {@code <version> <issuer>}. */
    static String payload(String issuer, long version) {
        return version + " " + issuer;
    }

    private void listen() {
        Connection c = null;
        long lastPing = System.nanoTime();
        while (!closed) {
            try {
                if (c == null) {
                    c = pool.open();
                    c.setAutoCommit(true);
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    if (listenerDown != null && !"not connected yet".equals(listenerDown)) {
                        LOG.log(System.Logger.Level.WARNING, "PostgreSQL reachable again; re-reading journals");
                    }
                    if (listenerDown != null) {
                        pool.evictIdle(); // connections from before the outage are dead
                    }
                    fireAll(); // changes made while disconnected were not notified (issued before reporting healthy)
                    listenerDown = null;
                    poolDown = null; // reachable again; the next statement says otherwise if not
                }
                PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(500);
                if (got != null) {
                    for (PGNotification n : got) {
                        lastNotification = Instant.now();
                        String issuer = n.getParameter().substring(n.getParameter().indexOf(' ') + 1);
                        subscribers.getOrDefault(issuer, List.of()).forEach(Subscriber::fire);
                    }
                }
                if (System.nanoTime() - lastPing > PING_EVERY.toNanos()) {
                    // Without traffic a partition goes unnoticed; a query fails within the socket timeout.
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT 1");
                    }
                    lastPing = System.nanoTime();
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                if (listenerDown == null) {
                    LOG.log(System.Logger.Level.WARNING, "PostgreSQL unreachable ({0}); signing goes on while"
                            + " the journal is fresh, changes wait", e.getMessage());
                }
                listenerDown = "unreachable since " + Instant.now() + ": " + e.getMessage();
                if (c != null) {
                    ConnectionPool.quietlyClose(c);
                    c = null;
                }
                try {
                    Thread.sleep(RECONNECT_PAUSE.toMillis());
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
        if (c != null) {
            ConnectionPool.quietlyClose(c);
        }
    }

    @Override
    public void close() {
        closed = true;
        listener.interrupt();
        try {
            listener.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalThreadStateException e) {
            // never started
        }
        dispatch.shutdownNow();
        pool.close();
    }

    @Override
    public String toString() {
        return "PostgresStore[" + settings + "]";
    }
}
