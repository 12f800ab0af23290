package dev.signet.store.postgres;

import dev.signet.spi.SignetException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A few connections reused by the store: it makes a handful of short transactions per check interval, so
 * it needs neither many connections nor a pool library. A connection that failed is dropped, not
 * returned; an idle one is checked before reuse, so a restarted server costs one failed check, not a
 * failed operation.
 */
final class ConnectionPool implements AutoCloseable {

    /** One unit of work on a connection in auto-commit off; the pool commits or rolls back. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private static final Duration IDLE_CHECK_AFTER = Duration.ofSeconds(5);

    private final String url;
    private final Properties properties;
    private final Semaphore permits;
    private final Duration borrowTimeout;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private volatile boolean closed;

    private record Idle(Connection connection, long since) {
    }

    ConnectionPool(String url, Properties properties, int size, Duration borrowTimeout) {
        this.url = url;
        this.properties = properties;
        this.permits = new Semaphore(size, true);
        this.borrowTimeout = borrowTimeout;
    }

    /** A new connection outside the pool (the notification listener keeps one of its own). */
    Connection open() throws SQLException {
        Connection c = DriverManager.getConnection(url, properties);
        c.setAutoCommit(false);
        return c;
    }

    /**
     * Runs {@code work} in one transaction. {@code what} names the work in errors.
     *
     * @throws SignetException UNAVAILABLE (with a retry-after) if the database cannot be reached or the
     *                         work fails on the server; whatever {@code work} throws as a SignetException
     */
    <T> T inTransaction(String what, Work<T> work) {
        if (closed) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "the PostgreSQL store is closed");
        }
        acquire(what);
        Connection c = null;
        boolean healthy = false;
        try {
            c = borrow();
            T result = work.run(c);
            c.commit();
            healthy = true;
            return result;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                evictIdle(); // the server went away: the other idle connections are as dead as this one
            }
            throw unavailable(what, e);
        } finally {
            if (c != null) {
                giveBack(c, healthy);
            }
            permits.release();
        }
    }

    private void acquire(String what) {
        try {
            if (!permits.tryAcquire(borrowTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot " + what
                        + ": every PostgreSQL connection is busy", Duration.ofSeconds(1), null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted", e);
        }
    }

    private Connection borrow() throws SQLException {
        while (true) {
            Idle i;
            synchronized (idle) {
                i = idle.pollFirst();
            }
            if (i == null) {
                return open();
            }
            if (System.nanoTime() - i.since() < IDLE_CHECK_AFTER.toNanos()
                    || i.connection().isValid((int) Math.max(1, borrowTimeout.toSeconds()))) {
                return i.connection();
            }
            quietlyClose(i.connection());
        }
    }

    private void giveBack(Connection c, boolean healthy) {
        if (!healthy) {
            try {
                c.rollback();
            } catch (SQLException e) {
                quietlyClose(c);
                return;
            }
        }
        if (closed) {
            quietlyClose(c);
            return;
        }
        synchronized (idle) {
            idle.addFirst(new Idle(c, System.nanoTime()));
        }
    }

    /** Closes every idle connection, so the next work connects afresh. */
    void evictIdle() {
        synchronized (idle) {
            idle.forEach(i -> quietlyClose(i.connection()));
            idle.clear();
        }
    }

    static SignetException unavailable(String what, SQLException e) {
        // The SQL state and the driver's message; neither carries the password.
        return new SignetException(SignetException.Code.UNAVAILABLE, "cannot " + what + ": PostgreSQL: "
                + e.getMessage() + (e.getSQLState() == null ? "" : " (SQL state " + e.getSQLState() + ")"),
                Duration.ofSeconds(5), e);
    }

    static void quietlyClose(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already broken
        }
    }

    @Override
    public void close() {
        closed = true;
        evictIdle();
    }
}
