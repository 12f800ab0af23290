package dev.signet.kms;

import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs {@code moto_server} on a free loopback port for one test class: the real HTTP peer the KMS tests talk to.
 * Found as {@code $SIGNET_MOTO_SERVER} or {@code moto_server} on the PATH; when absent the tests are skipped
 * loudly, or fail in CI ({@link RealBackends}). {@link #stop()} and {@link #start()} let fault tests take it
 * away and bring it back on the same port.
 */
final class MotoServer implements BeforeAllCallback, AfterAllCallback {

    private static final Duration STARTUP = Duration.ofSeconds(30);

    private int port;
    private Process process;
    private Path log;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Optional<Path> exe = executable();
        RealBackends.require(exe.isPresent(), "moto_server (the AWS KMS emulator)",
                "pip install 'moto[server]' or set SIGNET_MOTO_SERVER to its path");
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        log = Files.createTempFile("moto-", ".log");
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Starts moto on this extension's port and waits until it answers HTTP. */
    void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(executable().orElseThrow().toString(), "-H", "127.0.0.1", "-p",
                Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        Instant deadline = Instant.now().plus(STARTUP);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited with " + process.exitValue() + "; see " + log);
            }
            if (answers()) {
                return;
            }
            Thread.sleep(100);
        }
        stop();
        throw new IllegalStateException("moto_server did not answer on port " + port + " within " + STARTUP);
    }

    /** Kills moto and waits until the port is closed; its in-memory keys are gone. */
    void stop() {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor();
            Instant deadline = Instant.now().plusSeconds(10);
            while (answers() && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** SIGSTOPs moto: connections are accepted by the kernel but never answered, like a hung endpoint. */
    void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kill", sig, Long.toString(process.pid())));
        process.descendants().forEach(p -> cmd.add(Long.toString(p.pid())));
        new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/moto-api/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            int status = c.getResponseCode();
            c.disconnect();
            return status > 0;
        } catch (IOException e) {
            return false;
        }
    }

    static Optional<Path> executable() {
        String configured = System.getenv("SIGNET_MOTO_SERVER");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "moto_server");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
