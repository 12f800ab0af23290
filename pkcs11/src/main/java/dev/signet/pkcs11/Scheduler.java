package dev.signet.pkcs11;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task after a delay; tests pass one that runs tasks when they move their clock. */
interface Scheduler extends AutoCloseable {

    void schedule(Runnable task, Duration delay);

    /** Drops pending tasks and stops; no task starts afterwards. */
    @Override
    void close();

    /** One daemon thread with this name. */
    static Scheduler thread(String name) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        return new Scheduler() {
            @Override
            public void schedule(Runnable task, Duration delay) {
                executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override
            public void close() {
                executor.shutdownNow();
            }
        };
    }
}
