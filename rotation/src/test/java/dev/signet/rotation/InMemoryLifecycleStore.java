package dev.signet.rotation;

import dev.signet.spi.SignetException;

import java.util.concurrent.locks.ReentrantLock;

/** The store contract held in memory: for simulations too long to spend on fsync. */
final class InMemoryLifecycleStore implements LifecycleStore {

    private final ReentrantLock lock = new ReentrantLock();
    private volatile KeySet current = KeySet.empty();
    private final java.util.List<KeyIntent> ordered = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Map<String, SubkeySet> subkeys = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public java.util.Map<String, SubkeySet> loadSubkeys() {
        return java.util.Map.copyOf(subkeys);
    }

    @Override
    public synchronized void compareAndSetSubkeys(String replica, long expectedVersion, SubkeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "subkey version does not follow");
        }
        if (subkeys.getOrDefault(replica, SubkeySet.empty()).version() != expectedVersion) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "subkey version moved on");
        }
        subkeys.put(replica, next);
    }

    @Override
    public synchronized boolean deleteSubkeys(String replica, long version) {
        SubkeySet set = subkeys.get(replica);
        return set != null && set.version() == version && subkeys.remove(replica, set);
    }

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

    @Override
    public void recordIntent(KeyIntent intent) {
        lock.lock();
        try {
            ordered.add(intent);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public java.util.List<KeyIntent> intents() {
        return java.util.List.copyOf(ordered);
    }

    @Override
    public void clearIntent(String id) {
        ordered.removeIf(i -> i.id().equals(id));
    }
}
