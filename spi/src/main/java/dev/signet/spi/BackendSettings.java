package dev.signet.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a {@link KeyBackendProvider} is given to open a backend: the flattened
 * {@code backend.*} configuration subtree, the data directory and the clock.
 * Secrets are never values here, only names of where to read them ({@link #secret}).
 *
 * @param values  configuration keys relative to {@code backend.}, e.g. {@code library}, {@code token-label}
 * @param dataDir the daemon's data directory
 * @param issuer  the issuer URL, for backends that namespace keys per issuer
 * @param env     environment lookup; {@code System::getenv} outside tests
 */
public record BackendSettings(Map<String, String> values, Path dataDir, String issuer, Clock clock,
                              Function<String, String> env) {

    public BackendSettings {
        values = Map.copyOf(values);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key)).filter(v -> !v.isBlank());
    }

    /** @throws SignetException INVALID_ARGUMENT naming the missing key */
    public String require(String key) {
        return get(key).orElseThrow(() -> new SignetException(SignetException.Code.INVALID_ARGUMENT,
                "backend." + key + " is required"));
    }

    /**
     * Reads a secret named by {@code <name>-env} (an environment variable) or {@code <name>-file}
     * (a file, trailing newline trimmed). A secret written in the configuration itself is refused.
     *
     * @throws SignetException INVALID_ARGUMENT if neither is set, the variable is empty or the file unreadable
     */
    public Optional<char[]> secret(String name) {
        if (values.containsKey(name)) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "backend." + name + " must not be written in the configuration; use backend."
                            + name + "-env or backend." + name + "-file");
        }
        Optional<String> envName = get(name + "-env");
        if (envName.isPresent()) {
            String v = env.apply(envName.get());
            if (v == null || v.isEmpty()) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "environment variable " + envName.get() + " (backend." + name + "-env) is not set");
            }
            return Optional.of(v.toCharArray());
        }
        Optional<String> file = get(name + "-file");
        if (file.isPresent()) {
            try {
                String v = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip();
                return Optional.of(v.toCharArray());
            } catch (IOException e) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "cannot read backend." + name + "-file " + file.get() + ": " + e.getClass().getSimpleName());
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "BackendSettings" + values.keySet() + " dataDir=" + dataDir;
    }
}
