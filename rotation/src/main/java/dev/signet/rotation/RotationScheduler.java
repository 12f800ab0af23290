package dev.signet.rotation;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ticks every issuer's ring on one daemon thread. A failing issuer is logged and retried at the next
 * sweep; it never stops the others (Vault's auto-rotation sweep does the same).
 */
public final class RotationScheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RotationScheduler.class.getName());

    private final Map<String, KeyRing> rings;
    private final ScheduledExecutorService executor;

    private RotationScheduler(Map<String, ? extends KeyRing> rings) {
        this.rings = Map.copyOf(rings);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "signet-rotation-scheduler");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Sweeps every {@code interval}; use the smallest {@link RotationPolicy#checkInterval()} of the rings.
     *
     * @param rings by issuer name, for the logs
     */
    public static RotationScheduler start(Map<String, ? extends KeyRing> rings, Duration interval) {
        RotationScheduler rotator = new RotationScheduler(rings);
        rotator.executor.scheduleWithFixedDelay(rotator::sweep, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return rotator;
    }

    /** Ticks every ring once. @return the failures by issuer, empty when all went well */
    public Map<String, RuntimeException> sweep() {
        Map<String, RuntimeException> failures = new LinkedHashMap<>();
        rings.forEach((issuer, ring) -> {
            try {
                ring.tick();
            } catch (RuntimeException e) {
                failures.put(issuer, e);
                LOG.log(System.Logger.Level.WARNING, "key rotation for issuer " + issuer + " failed; retrying next sweep", e);
            }
        });
        return failures;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
