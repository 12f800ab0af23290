package dev.signet.api;

import dev.signet.software.SoftwareKeyBackendProvider;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The daemon's first key is generated while Helidon's meter registry is still starting: that call must count. */
class MeteredKeyBackendTest {

    @TempDir
    Path dir;

    @Test
    void callsMadeBeforeTheRegistryIsUpAreCountedWhenItIs() throws Exception {
        Files.createDirectory(dir.resolve("keys"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        KeyBackend real = new SoftwareKeyBackendProvider().open(new BackendSettings(Map.of(), dir, "https://t.test",
                Clock.systemUTC(), System::getenv));
        // The type tag keeps this test's meters apart from other tests' in the global registry.
        String type = "early-" + System.nanoTime();
        KeyBackend typed = new Renamed(real, type);
        CompletableFuture<Void> registryUp = new CompletableFuture<>();
        KeyBackend metered = MeteredKeyBackend.wrap(typed, registryUp);

        SigningKey key = metered.generate(SigningAlgorithm.ES256);
        key.sign("before".getBytes(StandardCharsets.US_ASCII));
        assertThrows(SignetException.class, () -> metered.get("no-such-kid"));
        assertEquals(0, timer(type, "generate").count(), "nothing reaches the registry before it is up");

        registryUp.complete(null);
        assertEquals(1, timer(type, "generate").count());
        assertEquals(1, timer(type, "sign").count());
        assertEquals(1, errors(type, "get", "NOT_FOUND").count());

        key.sign("after".getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, timer(type, "sign").count(), "after it is up, calls record at once");
        assertEquals(1, timer(type, "generate").count());
        metered.close();
    }

    private static Timer timer(String type, String operation) {
        return Metrics.getOrCreate(Timer.builder("signet.backend.call")
                .tags(Metrics.tags("backend", type, "operation", operation)));
    }

    private static Counter errors(String type, String operation, String code) {
        return Metrics.getOrCreate(Counter.builder("signet.backend.errors")
                .tags(Metrics.tags("backend", type, "operation", operation, "code", code)));
    }

    /** The software backend under another type name. */
    private record Renamed(KeyBackend backend, String type) implements KeyBackend {
        public boolean hardwareProtected() {
            return false;
        }

        public java.util.Set<SigningAlgorithm> algorithms() {
            return backend.algorithms();
        }

        public SigningKey generate(SigningAlgorithm algorithm) {
            return backend.generate(algorithm);
        }

        public SigningKey get(String id) {
            return backend.get(id);
        }

        public java.util.List<SigningKey> list() {
            return backend.list();
        }

        public void destroy(String id) {
            backend.destroy(id);
        }

        public void close() {
            backend.close();
        }
    }
}
