package dev.signet.spi;

/**
 * Opens a {@link KeyBackend} of one type from configuration. Found with {@link java.util.ServiceLoader},
 * so the daemon picks up whichever backends are on its class path.
 */
public interface KeyBackendProvider {

    /** The value of {@code backend.type} this provider answers to. */
    String type();

    /**
     * @throws SignetException INVALID_ARGUMENT for a configuration error (said at start-up, never
     *                         silently replaced by another backend); UNAVAILABLE if the backend is unreachable
     */
    KeyBackend open(BackendSettings settings);
}
