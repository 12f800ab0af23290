package dev.signet.api;

import dev.signet.rotation.KeyRing;
import dev.signet.rotation.SingleKeyRing;
import dev.signet.signer.BackendSettings;
import dev.signet.signer.KeyBackend;
import dev.signet.signer.KeyBackends;

import java.time.Clock;

/** A running Signet: backend, key ring and server, opened in that order and closed in reverse. */
public final class Daemon implements AutoCloseable {

    private final KeyBackend backend;
    private final KeyRing keyRing;
    private final SignetServer server;

    private Daemon(KeyBackend backend, KeyRing keyRing, SignetServer server) {
        this.backend = backend;
        this.keyRing = keyRing;
        this.server = server;
    }

    /**
     * @throws dev.signet.signer.SignetException INVALID_ARGUMENT for configuration errors; there is no
     *         fallback to another backend
     */
    public static Daemon start(SignetConfig config, Clock clock) {
        KeyBackend backend = KeyBackends.open(config.backendType(), new BackendSettings(config.backendValues(),
                config.dataDir(), config.issuer(), clock, System::getenv));
        try {
            KeyRing ring = new SingleKeyRing(backend, config.algorithm(), config.jwksMaxAge());
            return new Daemon(backend, ring, SignetServer.start(config, backend, ring, clock));
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    public SignetServer server() {
        return server;
    }

    public KeyBackend backend() {
        return backend;
    }

    public KeyRing keyRing() {
        return keyRing;
    }

    @Override
    public void close() {
        server.close();
        keyRing.close();
        backend.close();
    }
}
