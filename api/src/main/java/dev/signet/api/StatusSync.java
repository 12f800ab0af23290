package dev.signet.api;

import dev.signet.revocation.StatusLists;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs {@link StatusLists#sync()} every second and at once on another replica's change notification: a
 * revocation made on any replica is in every replica's served lists within a few seconds (README: 5 s).
 */
final class StatusSync implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StatusSync.class.getName());

    private final StatusLists lists;
    private final ScheduledExecutorService runner = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("signet-status-sync").daemon().factory());
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile String failing;

    private StatusSync(StatusLists lists) {
        this.lists = lists;
    }

    static StatusSync start(StatusLists lists) {
        StatusSync s = new StatusSync(lists);
        s.runner.scheduleWithFixedDelay(s::run, 1, 1, TimeUnit.SECONDS);
        lists.subscribe(s::soon);
        return s;
    }

    private void soon() {
        if (queued.compareAndSet(false, true)) {
            try {
                runner.execute(() -> {
                    queued.set(false);
                    run();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void run() {
        try {
            lists.sync();
            if (failing != null) {
                LOG.log(System.Logger.Level.INFO, "status lists in step with the other replicas again");
                failing = null;
            }
        } catch (RuntimeException e) { // a thrown exception would end the schedule: log and retry
            if (failing == null) {
                LOG.log(System.Logger.Level.WARNING, "status lists cannot sync with the other replicas ({0});"
                        + " retrying every second", e.getMessage());
            }
            failing = e.getMessage();
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
