package dev.signet.ops;

import dev.signet.issuance.CredentialHash;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;

/**
 * {@code signet serve} replicas, each with its own data dir, ports and configuration under one test directory,
 * sharing one PostgreSQL database and one key backend; one minter ({@code agent}) and the test admin credential.
 * Closing stops (SIGTERM) every replica still running.
 */
final class Replicas implements AutoCloseable {

    static final String ISSUER = "https://signet.example.com";

    private final Path dir;
    private final PostgresDatabase db;
    private final Map<String, String> env;
    private final List<Replica> started = new ArrayList<>();

    /** @param env added to every replica's environment (with one in-memory signer, {@code bc}) */
    Replicas(Path dir, PostgresDatabase db, Map<String, String> env) {
        this.dir = dir;
        this.db = db;
        // One signer, not measured at start: each JVM would spend seconds choosing on a loaded machine.
        this.env = new HashMap<>(env);
        this.env.putIfAbsent("SIGNET_INMEMORY_SIGNER", "bc");
    }

    PostgresDatabase db() {
        return db;
    }

    final class Replica {
        final String name;
        final int port;
        final int adminPort;
        final Path config;
        private volatile DevModeProcessTest.Started process;

        private Replica(String name, int port, int adminPort, Path config) {
            this.name = name;
            this.port = port;
            this.adminPort = adminPort;
            this.config = config;
        }

        String name() {
            return name;
        }

        String base() {
            return "http://127.0.0.1:" + port;
        }

        String admin() {
            return "http://127.0.0.1:" + adminPort;
        }

        /** The running (or last) process: its output lines are collected as it writes them. */
        DevModeProcessTest.Started process() {
            return process;
        }

        /** Starts {@code signet serve} and waits, with a deadline many times a normal start, until it serves. */
        Replica start() throws Exception {
            process = SignetCommand.startServe(config, env);
            synchronized (started) {
                if (!started.contains(this)) {
                    started.add(this);
                }
            }
            return this;
        }

        /** SIGTERM, and waits for the exit. */
        void stop() throws Exception {
            DevModeProcessTest.stop(process);
        }

        /** SIGKILL (no shutdown hook runs), and waits for the exit. */
        void kill() throws InterruptedException {
            process.process().destroyForcibly().waitFor();
        }
    }

    /**
     * Writes {@code NAME.yaml} for a replica on two free ports with data dir {@code NAME}.
     *
     * @param signet  more lines under {@code signet:} (indented 2 spaces), or ""
     * @param store   more lines under {@code signet.store:} (indented 4 spaces), or ""
     * @param backend the lines under {@code signet.backend:} (indented 4 spaces): {@link #software}, {@link #kms}
     */
    Replica configure(String name, String signet, String store, String backend) throws Exception {
        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        String yaml = """
                signet:
                  issuer: "%s"
                  port: %d
                  admin:
                    port: %d
                    credential-hash: "%s"
                  data-dir: "%s"
                  replica-id: %s
                %s
                  store:
                %s
                %s
                  backend:
                %s
                  minters:
                %s
                """.formatted(ISSUER, port, adminPort, CredentialHash.of(ADMIN).text(), dir.resolve(name), name,
                signet.stripTrailing(), db.storeYaml(), store.stripTrailing(), backend.stripTrailing(), agentMinter());
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        return new Replica(name, port, adminPort, config);
    }

    /** {@link #configure} then {@link Replica#start}. */
    Replica start(String name, String signet, String store, String backend) throws Exception {
        return configure(name, signet, store, backend).start();
    }

    /** The lines under {@code signet.minters:}: {@code agent}, with the test minter credential, may read repo:acme/*. */
    static String agentMinter() {
        return """
                    - name: agent
                      credential-hash: "%s"
                      audiences: ["https://api.example.com"]
                      resources: ["repo:acme/*"]
                      actions: ["read"]
                      max-ttl: 600\
                """.formatted(CredentialHash.of(MINTER).text());
    }

    /** A software keystore outside every data dir, shared as KMS or a network HSM would be. */
    static String software(String type, Path keystore, Path passwordFile) {
        return "    type: " + type + "\n    keystore: \"" + keystore + "\"\n    password-file: \"" + passwordFile + "\"";
    }

    /** KMS at {@code endpointPort} (moto, or a proxy in front of it); credentials from {@link #KMS_ENV}. */
    static String kms(int endpointPort) {
        return """
                    type: kms
                    endpoint: "http://127.0.0.1:%d"
                    region: us-east-1
                    call-timeout: 30s
                    access-key-id-env: TEST_KMS_KEY_ID
                    secret-access-key-env: TEST_KMS_SECRET
                """.formatted(endpointPort);
    }

    /** The environment {@link #kms} names: moto accepts any credentials. */
    static final Map<String, String> KMS_ENV = Map.of("TEST_KMS_KEY_ID", "testing-key-id", "TEST_KMS_SECRET", "testing-secret");

    /** SIGKILL to every replica still running (for an {@code @AfterEach} that must not fail). */
    void killAll() {
        synchronized (started) {
            for (Replica r : started) {
                r.process().process().destroyForcibly();
            }
        }
    }

    @Override
    public void close() throws Exception {
        List<Replica> all;
        synchronized (started) {
            all = List.copyOf(started);
        }
        for (Replica r : all) {
            if (r.process().process().isAlive()) {
                r.stop();
            }
        }
    }
}
