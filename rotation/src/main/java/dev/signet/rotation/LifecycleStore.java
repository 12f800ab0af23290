package dev.signet.rotation;

/**
 * Where an issuer's {@link KeySet} journal lives, shared by every replica that signs for the issuer.
 * A mutation is: {@link #lock()}, {@link #load()}, compute, {@link #compareAndSet}, unlock; the lock makes
 * replicas take turns and the version check catches a writer that did not take it.
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
     * Replaces the journal if its version is still {@code expectedVersion}. When this throws, the journal
     * was not replaced.
     *
     * @throws dev.signet.spi.SignetException FAILED_PRECONDITION if the version moved on (another writer);
     *                                           INVALID_ARGUMENT if {@code next.version()} is not
     *                                           {@code expectedVersion + 1}; UNAVAILABLE if it cannot be written
     */
    void compareAndSet(long expectedVersion, KeySet next);

    /**
     * Blocks until this process holds the store's lock.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE if it cannot be had in reasonable time
     */
    Lock lock();
}
