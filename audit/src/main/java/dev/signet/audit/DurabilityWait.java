package dev.signet.audit;

import java.util.Objects;

/**
 * Tells whoever admitted a request that its thread is waiting for an audit record's fsync, and when it stops.
 * The HTTP layer bounds signing requests in flight to protect the CPU; a request parked on the group commit uses
 * none, so admission lends its place to another request for the wait. {@link AuditLog}'s receipts park when
 * their record is not yet durable.
 */
public final class DurabilityWait {

    /** Called on the waiting thread, {@link #parked()} before it blocks and {@link #resumed()} once it may go on. */
    public interface Listener {
        void parked();

        void resumed();
    }

    private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();

    private DurabilityWait() {
    }

    /** Runs {@code work} on this thread with {@code listener} told of each wait for durability inside it. */
    public static void during(Listener listener, Runnable work) {
        Objects.requireNonNull(listener);
        Listener outer = LISTENER.get();
        LISTENER.set(listener);
        try {
            work.run();
        } finally {
            if (outer == null) {
                LISTENER.remove();
            } else {
                LISTENER.set(outer);
            }
        }
    }

    /** Runs {@code wait}, a block until something is durable, telling this thread's listener (if any) around it. */
    public static void park(Runnable wait) {
        Listener listener = LISTENER.get();
        if (listener == null) {
            wait.run();
            return;
        }
        listener.parked();
        try {
            wait.run();
        } finally {
            listener.resumed();
        }
    }
}
