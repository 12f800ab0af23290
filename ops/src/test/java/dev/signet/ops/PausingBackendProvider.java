package dev.signet.ops;

import dev.signet.software.SoftwareKeyBackendProvider;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendProvider;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Test-only backend type {@code software-pausing}: the software backend, except that while the file
 * {@code pause-after-generate} exists in {@code $SIGNET_TEST_PAUSE_DIR}, {@code generate} creates the key, names it
 * in {@code generated} there and then never returns, so a test can {@code kill -9} the process exactly between the
 * backend call and the journal write.
 */
public final class PausingBackendProvider implements KeyBackendProvider {

    @Override
    public String type() {
        return "software-pausing";
    }

    @Override
    public KeyBackend open(BackendSettings settings) {
        KeyBackend real = new SoftwareKeyBackendProvider().open(settings);
        Path dir = Path.of(System.getenv("SIGNET_TEST_PAUSE_DIR"));
        return new KeyBackend() {
            public String type() {
                return real.type();
            }

            public boolean hardwareProtected() {
                return false;
            }

            public Set<SigningAlgorithm> algorithms() {
                return real.algorithms();
            }

            public SigningKey generate(SigningAlgorithm algorithm) {
                SigningKey key = real.generate(algorithm);
                if (Files.exists(dir.resolve("pause-after-generate"))) {
                    try {
                        Files.writeString(dir.resolve("generated.tmp"), key.id());
                        Files.move(dir.resolve("generated.tmp"), dir.resolve("generated"));
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return key;
            }

            public SigningKey get(String id) {
                return real.get(id);
            }

            public List<SigningKey> list() {
                return real.list();
            }

            public void destroy(String id) {
                real.destroy(id);
            }

            public void close() {
                real.close();
            }
        };
    }
}
