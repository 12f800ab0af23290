package dev.signet.rotation;

import dev.signet.spi.SignetException;

import java.util.concurrent.locks.ReentrantLock;

/** The store contract held in memory: for simulations too long to spend on fsync. */
final class InMemoryLifecycleStore implements LifecycleStore {

    private final ReentrantLock lock = new ReentrantLock();
    private volatile KeySet current = KeySet.empty();

    @Override
    public KeySet load() {
        return current;
    }

    @Override
    public void compareAndSet(long expectedVersion, KeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "version does not follow");
        }
        lock.lock();
        try {
            if (current.version() != expectedVersion) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "version moved on");
            }
            current = next;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Lock lock() {
        lock.lock();
        return lock::unlock;
    }
}
