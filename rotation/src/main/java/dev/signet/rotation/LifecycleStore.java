package dev.signet.rotation;

/**
 * Where an issuer's {@link KeySet} journal lives, shared by every replica that signs for the issuer.
 * A mutation is: {@link #lock()}, {@link #load()}, compute, {@link #compareAndSet}, unlock; the lock makes
 * replicas take turns and the version check catches a writer that did not take it. In delegated mode each
 * replica also keeps its own {@link SubkeySet} here, written without the lock.
 */
public interface LifecycleStore {

    /** Mutual exclusion among the processes sharing this store. Reentrant within a thread. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The current journal, {@link KeySet#empty()} if none was ever written.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if it cannot be read; INTERNAL if it is damaged
     */
    KeySet load();

    /**
     * Whether an issuer was started in this store: a marker kept beside the journal since its first write,
     * so a journal that {@link #load()} no longer finds (deleted, or its directory replaced) is told apart
     * from one never written. Stores that cannot tell answer false.
     */
    default boolean issuerStarted() {
        return false;
    }

    /**
     * Replaces the journal if its version is still {@code expectedVersion}. When this throws, the journal
     * was not replaced.
     *
     * @throws dev.signet.spi.SignetException FAILED_PRECONDITION if the version moved on (another writer);
     *                                           INVALID_ARGUMENT if {@code next.version()} is not
     *                                           {@code expectedVersion + 1}; UNAVAILABLE if it cannot be written
     */
    void compareAndSet(long expectedVersion, KeySet next);

    /**
     * Journals {@code intent} before its backend call, under {@link #lock()}: a writer that no longer holds the
     * lock (a lost lease) fails here and so never makes the call.
     *
     * @throws dev.signet.spi.SignetException FAILED_PRECONDITION if this writer lost the lock; UNAVAILABLE if it
     *                                           cannot be written
     */
    void recordIntent(KeyIntent intent);

    /**
     * Intents recorded and not yet cleared, oldest first.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if they cannot be read; INTERNAL if damaged
     */
    java.util.List<KeyIntent> intents();

    /** Removes the intent {@code id} once its outcome is journaled; an unknown id is ignored. */
    void clearIntent(String id);

    /**
     * Every replica's subkey journal (delegated mode), by replica id; replicas that never wrote one are absent.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if it cannot be read; INTERNAL naming the replica if
     *                                           one is damaged
     */
    java.util.Map<String, SubkeySet> loadSubkeys();

    /**
     * Replaces replica {@code replica}'s subkey journal if its version is still {@code expectedVersion}. Only
     * that replica writes it, so this needs no {@link #lock()} (and never waits for the writer's lease).
     *
     * @throws dev.signet.spi.SignetException FAILED_PRECONDITION if the version moved on (two processes with
     *                                           one replica id); INVALID_ARGUMENT if {@code next.version()} is
     *                                           not {@code expectedVersion + 1}, or the store refuses to write
     *                                           another replica's subkeys; UNAVAILABLE if it cannot be written
     */
    void compareAndSetSubkeys(String replica, long expectedVersion, SubkeySet next);

    /**
     * Deletes replica {@code replica}'s subkey journal if its version is still {@code version} (a replica that
     * wrote since keeps it): what survivors do for a replica gone for good, once every subkey in it is past
     * publication. Any replica may do it, without {@link #lock()}.
     *
     * @return whether it was deleted
     * @throws dev.signet.spi.SignetException UNAVAILABLE if it cannot be written
     */
    boolean deleteSubkeys(String replica, long version);

    /**
     * Blocks until this process holds the store's lock.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if it cannot be had in reasonable time
     */
    Lock lock();

    /** A registration made with {@link #subscribe}; closing it stops the calls. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Calls {@code onChange} (on a thread of the store's) soon after any replica changes the journal, after the
     * store reconnects, when changes may have been missed, and once at registration (a change made since the
     * caller's last read was notified to nobody), so a replica need not wait for its next periodic re-read. A call
     * that throws is retried until one succeeds, the notification that caused it being spent. Stores that cannot
     * tell call nothing: the periodic re-read is the fallback.
     */
    default Subscription subscribe(Runnable onChange) {
        return () -> {
        };
    }

    /** Why this store cannot be reached now, for readiness; empty while it works or cannot tell. */
    default java.util.Optional<String> degraded() {
        return java.util.Optional.empty();
    }
}
