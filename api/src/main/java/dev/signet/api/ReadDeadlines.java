package dev.signet.api;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Header and body read deadlines, which Helidon 4.5 lacks (its {@code read-timeout} is not applied to server
 * connections, and its idle timer only covers the wait for a request line). A client that has not sent its headers
 * within the header timeout of its request line, or its body within the body timeout, has its connection closed:
 * the connection's thread is interrupted, and an interrupted blocking socket read closes the socket.
 *
 * <p>One connection is served by one thread, so a deadline belongs to the current thread. Arming and disarming are
 * two volatile writes (this is on every request); a sweeper checks the armed deadlines a few times per timeout.
 */
final class ReadDeadlines implements Http1ConnectionListener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReadDeadlines.class.getName());
    private static final long IDLE = Long.MIN_VALUE;
    private static final long FIRED = Long.MIN_VALUE + 1;

    /** The deadline of one connection thread, as {@link System#nanoTime()}, or IDLE / FIRED. */
    private static final class Slot {
        final Thread thread = Thread.currentThread();
        final AtomicLong deadline = new AtomicLong(IDLE);
        volatile String what;
    }

    private final Duration headerTimeout;
    private final Duration bodyTimeout;
    private final ThreadLocal<Slot> slot = ThreadLocal.withInitial(this::register);
    private final Map<Slot, Boolean> slots = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "signet-read-deadlines");
        t.setDaemon(true);
        return t;
    });

    ReadDeadlines(Duration headerTimeout, Duration bodyTimeout) {
        this.headerTimeout = headerTimeout;
        this.bodyTimeout = bodyTimeout;
        long period = Math.clamp(Math.min(headerTimeout.toMillis(), bodyTimeout.toMillis()) / 4, 50, 1000);
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    private Slot register() {
        Slot s = new Slot();
        slots.put(s, Boolean.TRUE);
        return s;
    }

    private void arm(String what, Duration timeout) {
        Slot s = slot.get();
        s.what = what;
        s.deadline.set(System.nanoTime() + timeout.toNanos());
    }

    /** @return false if the deadline passed first (the thread is interrupted, its connection closing) */
    private boolean disarm() {
        Slot s = slot.get();
        long d = s.deadline.get();
        return d != FIRED && (d == IDLE || s.deadline.compareAndSet(d, IDLE));
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Slot s : slots.keySet()) {
            if (!s.thread.isAlive()) {
                slots.remove(s);
                continue;
            }
            long d = s.deadline.get();
            if (d != IDLE && d != FIRED && now - d > 0 && s.deadline.compareAndSet(d, FIRED)) {
                LOG.log(System.Logger.Level.DEBUG, () -> "closing a connection: " + s.what + " not received in time");
                s.thread.interrupt();
            }
        }
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        arm("request headers", headerTimeout);
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        disarm();
    }

    /**
     * Reads a request body within the body timeout.
     *
     * @throws CloseConnectionException if the deadline passed: nothing can be answered on the connection
     */
    <T> T body(Supplier<T> read) {
        arm("request body", bodyTimeout);
        T result;
        try {
            result = read.get();
        } catch (RuntimeException e) {
            if (!disarm()) {
                throw expired();
            }
            throw e;
        }
        if (!disarm()) {
            throw expired();
        }
        return result;
    }

    private CloseConnectionException expired() {
        Thread.interrupted();
        return new CloseConnectionException("the request body was not received within " + bodyTimeout);
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
