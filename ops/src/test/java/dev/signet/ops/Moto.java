package dev.signet.ops;

import dev.signet.spi.testing.RealBackends;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * moto_server, a real KMS wire peer, on a port of its own; its output goes to a log file. It keeps its keys in
 * memory only: {@link #restart} loses them.
 */
final class Moto implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(60);

    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private Process process;

    private Moto(int port, Path log) {
        this.port = port;
        this.log = log;
    }

    static boolean installed() {
        try {
            return new ProcessBuilder("sh", "-c", "command -v moto_server").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Skips loudly locally, fails in CI, without moto_server. */
    static void require() {
        RealBackends.require(installed(), "moto_server", "pip install 'moto[server]' (preinstalled on these machines)");
    }

    /** Starts moto_server on a free port, appending to {@code log}, and waits until it answers. */
    static Moto start(Path log) throws Exception {
        Moto moto = new Moto(DevModeProcessTest.freePort(), log);
        moto.startProcess();
        return moto;
    }

    int port() {
        return port;
    }

    /** Ends moto (asserting it exits) and starts a new one on the same port: KMS without the keys it had. */
    void restart() throws Exception {
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "moto_server did not stop");
        startProcess();
    }

    private void startProcess() throws Exception {
        process = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + START.toNanos();
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/moto-api/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                assertTrue(System.nanoTime() < deadline && process.isAlive(),
                        "moto_server did not start within " + START + ": " + Files.readString(log));
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
