package dev.signet.pkcs11;

import dev.signet.spi.testing.MutableClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** A {@link Scheduler} whose tasks run on the test's thread when it moves the clock past their time. */
final class ManualScheduler implements Scheduler {

    private record Task(Instant due, Runnable run) {
    }

    private final MutableClock clock;
    private final List<Task> tasks = new ArrayList<>();
    private boolean closed;

    ManualScheduler(MutableClock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized void schedule(Runnable task, Duration delay) {
        if (!closed) {
            tasks.add(new Task(clock.instant().plus(delay), task));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        tasks.clear();
    }

    /** Moves the clock by {@code d}, running each task that falls due at its time, in order. */
    void advance(Duration d) {
        Instant end = clock.instant().plus(d);
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> !t.due().isAfter(end)).min(Comparator.comparing(Task::due)).orElse(null);
                if (next == null) {
                    break;
                }
                tasks.remove(next);
            }
            if (next.due().isAfter(clock.instant())) {
                clock.set(next.due());
            }
            next.run().run();
        }
        clock.set(end);
    }

    /** Runs what is due now. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** How long until the next task is due, if one is pending. */
    synchronized Optional<Duration> nextIn() {
        return tasks.stream().map(Task::due).min(Comparator.naturalOrder())
                .map(due -> Duration.between(clock.instant(), due));
    }
}
