package dev.signet.api;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The key backend with every call timed and every failure counted, per operation:
 * {@code signet_backend_call_seconds{backend,operation}} (a histogram) and
 * {@code signet_backend_errors_total{backend,operation,code}}. One timer record per backend call, meters looked up
 * once; in delegated mode the subkeys sign in memory and are not wrapped, so the hot path pays nothing there.
 */
public final class MeteredKeyBackend implements KeyBackend {

    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private static final String[] OPERATIONS = {"generate", "get", "list", "destroy", "sign"};
    private static final int GENERATE = 0;
    private static final int GET = 1;
    private static final int LIST = 2;
    private static final int DESTROY = 3;
    private static final int SIGN = 4;

    private final KeyBackend backend;
    /** One timer per operation, once the registry is up; calls before that are recorded when it is. */
    private final CompletableFuture<Timer[]> timers;

    private MeteredKeyBackend(KeyBackend backend, CompletableFuture<?> registryReady) {
        this.backend = backend;
        this.timers = registryReady.thenApply(ready -> {
            Timer[] t = new Timer[OPERATIONS.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = timer(OPERATIONS[i]);
            }
            return t;
        });
    }

    /**
     * The backend with its calls metered; a metered backend is returned as is. Helidon's meter registry starts in
     * the background ({@link MetricsStart}): the first key's generation need not wait for it.
     */
    public static KeyBackend wrap(KeyBackend backend) {
        return wrap(backend, MetricsStart.whenReady());
    }

    /** With the registry's readiness given, for tests of calls made before it. */
    static KeyBackend wrap(KeyBackend backend, CompletableFuture<?> registryReady) {
        return backend instanceof MeteredKeyBackend ? backend : new MeteredKeyBackend(backend, registryReady);
    }

    private void record(int operation, long nanos) {
        Timer[] t = timers.getNow(null);
        if (t != null) {
            t[operation].record(nanos, TimeUnit.NANOSECONDS);
        } else {
            timers.thenAccept(later -> later[operation].record(nanos, TimeUnit.NANOSECONDS));
        }
    }

    private Timer timer(String operation) {
        return Metrics.getOrCreate(Timer.builder("signet.backend.call")
                .description("Key backend call latency per operation (failures included)")
                .tags(Metrics.tags("backend", backend.type(), "operation", operation))
                .buckets(BUCKETS));
    }

    private <T> T call(int operation, Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (RuntimeException e) {
            failed(operation, e);
            throw e;
        } finally {
            record(operation, System.nanoTime() - start);
        }
    }

    private void failed(int operation, RuntimeException e) {
        String code = e instanceof SignetException s ? s.code().name() : "OTHER";
        timers.thenRun(() -> Metrics.getOrCreate(Counter.builder("signet.backend.errors")
                .description("Key backend calls that failed, per operation and error code")
                .tags(Metrics.tags("backend", backend.type(), "operation", OPERATIONS[operation], "code", code)))
                .increment());
    }

    private SigningKey metered(SigningKey key) {
        return key == null ? null : new MeteredKey(key);
    }

    @Override
    public String type() {
        return backend.type();
    }

    @Override
    public boolean hardwareProtected() {
        return backend.hardwareProtected();
    }

    @Override
    public Set<SigningAlgorithm> algorithms() {
        return backend.algorithms();
    }

    @Override
    public SigningKey generate(SigningAlgorithm algorithm) {
        return metered(call(GENERATE, () -> backend.generate(algorithm)));
    }

    @Override
    public SigningKey get(String id) {
        return metered(call(GET, () -> backend.get(id)));
    }

    @Override
    public List<SigningKey> list() {
        return call(LIST, backend::list).stream().map(this::metered).toList();
    }

    @Override
    public void destroy(String id) {
        call(DESTROY, () -> {
            backend.destroy(id);
            return null;
        });
    }

    @Override
    public Optional<String> degraded() {
        return backend.degraded();
    }

    /** Not metered: one call per subkey, not per token. */
    @Override
    public dev.signet.spi.WrappingKey wrappingKey(String name, boolean create) {
        return backend.wrappingKey(name, create);
    }

    @Override
    public Circuit circuit() {
        return backend.circuit();
    }

    @Override
    public void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return backend.toString();
    }

    /** A backend key whose {@code sign} is timed; everything else is the key's own. */
    private final class MeteredKey implements SigningKey {

        private final SigningKey key;

        MeteredKey(SigningKey key) {
            this.key = key;
        }

        @Override
        public String id() {
            return key.id();
        }

        @Override
        public SigningAlgorithm algorithm() {
            return key.algorithm();
        }

        @Override
        public PublicKey publicKey() {
            return key.publicKey();
        }

        /** The hot path in direct mode: no lambda, one clock pair and one histogram record. */
        @Override
        public byte[] sign(byte[] signingInput) {
            long start = System.nanoTime();
            try {
                return key.sign(signingInput);
            } catch (RuntimeException e) {
                failed(SIGN, e);
                throw e;
            } finally {
                record(SIGN, System.nanoTime() - start);
            }
        }

        @Override
        public List<X509Certificate> certificateChain() {
            return key.certificateChain();
        }

        @Override
        public String toString() {
            return key.toString();
        }
    }
}
