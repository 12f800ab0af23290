package dev.signet.rotation;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Wraps a real backend and a real store and "crashes" (throws {@link Crash}) at the n-th mutation point:
 * just before or just after each generate, destroy and journal write. After a crash the test abandons
 * the ring, as a dead process would, and starts a new one.
 */
final class FaultInjector {

    static final class Crash extends RuntimeException {
        Crash(String where) {
            super("injected crash " + where);
        }
    }

    private int crashAt = Integer.MAX_VALUE;
    private int points;
    final List<String> trace = new ArrayList<>();

    void crashAt(int n) {
        crashAt = n;
    }

    int points() {
        return points;
    }

    private void point(String where) {
        points++;
        trace.add(where);
        if (points == crashAt) {
            throw new Crash(where);
        }
    }

    KeyBackend wrap(KeyBackend real) {
        return new KeyBackend() {
            @Override
            public String type() {
                return real.type();
            }

            @Override
            public boolean hardwareProtected() {
                return real.hardwareProtected();
            }

            @Override
            public Set<SigningAlgorithm> algorithms() {
                return real.algorithms();
            }

            @Override
            public SigningKey generate(SigningAlgorithm algorithm) {
                point("before generate");
                SigningKey key = real.generate(algorithm);
                point("after generate");
                return key;
            }

            @Override
            public SigningKey get(String id) {
                return real.get(id);
            }

            @Override
            public List<SigningKey> list() {
                return real.list();
            }

            @Override
            public void destroy(String id) {
                point("before destroy");
                real.destroy(id);
                point("after destroy");
            }
        };
    }

    LifecycleStore wrap(LifecycleStore real) {
        return new LifecycleStore() {
            @Override
            public KeySet load() {
                return real.load();
            }

            @Override
            public void compareAndSet(long expectedVersion, KeySet next) {
                point("before persist of v" + next.version());
                real.compareAndSet(expectedVersion, next);
                point("after persist of v" + next.version());
            }

            @Override
            public Lock lock() {
                return real.lock();
            }

            @Override
            public void recordIntent(KeyIntent intent) {
                point("before intent " + intent.kind());
                real.recordIntent(intent);
            }

            @Override
            public List<KeyIntent> intents() {
                return real.intents();
            }

            @Override
            public void clearIntent(String id) {
                point("before clearing an intent");
                real.clearIntent(id);
            }

            @Override
            public java.util.Map<String, SubkeySet> loadSubkeys() {
                return real.loadSubkeys();
            }

            @Override
            public void compareAndSetSubkeys(String replica, long expectedVersion, SubkeySet next) {
                real.compareAndSetSubkeys(replica, expectedVersion, next);
            }

            @Override
            public boolean deleteSubkeys(String replica, long version) {
                return real.deleteSubkeys(replica, version);
            }
        };
    }
}
