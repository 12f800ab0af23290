package dev.signet.api;

import io.helidon.metrics.api.Metrics;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Helidon's global meter registry, started on its own thread. Starting it (service registry, global config,
 * Micrometer, the JVM meters) took about a third of the daemon's main-thread CPU before healthy; it now overlaps
 * the rest of the start, from logging set-up on ({@link Daemon#beginStart}). Meters wanted before it is up record through {@link #whenReady()} and
 * count from the start.
 */
final class MetricsStart {

    private static final CompletableFuture<Void> READY = new CompletableFuture<>();
    private static final java.util.concurrent.atomic.AtomicBoolean STARTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private MetricsStart() {
    }

    /** Starts the registry in the background once per process; later calls return at once. */
    static void begin() {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().name("signet-metrics-start").daemon().start(() -> {
                try {
                    Metrics.globalRegistry();
                    READY.complete(null);
                } catch (Throwable e) {
                    READY.completeExceptionally(e);
                }
            });
        }
    }

    /** Completes once the registry is up (starting it if nobody has). */
    static CompletableFuture<Void> whenReady() {
        begin();
        return READY;
    }

    /**
     * Waits for the registry; the daemon calls it before it registers gauges and serves, so Helidon's metrics
     * start never races the server's.
     *
     * @throws RuntimeException what starting the registry threw
     */
    static void await() {
        try {
            whenReady().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
