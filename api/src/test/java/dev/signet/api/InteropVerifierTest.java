package dev.signet.api;

import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Non-Java verifiers (node {@code jose}, Python {@code joserfc}) accept Signet's tokens against the live
 * JWKS, and reject them for the wrong audience or when altered.
 */
class InteropVerifierTest {

    static final Path INTEROP = Path.of("src", "test", "interop");

    @TempDir
    static Path dataDir;
    static TestDaemon signet;

    @BeforeAll
    static void start() {
        signet = new TestDaemon(dataDir);
    }

    @AfterAll
    static void stop() {
        signet.close();
    }

    record Run(int exit, String out) {
    }

    static Run run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(INTEROP.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("verifier timed out: " + command);
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    String mint() {
        return (String) json(signet.mint(ALPHA, request("agent-1", "https://alpha.example", 300, "repo:alpha/x", "read"))).get("token");
    }

    void checkVerifier(List<String> prefix) throws Exception {
        String token = mint();
        List<String> ok = new ArrayList<>(prefix);
        ok.addAll(List.of(signet.jwksUrl(), "https://signet.test", "https://alpha.example", token));
        Run accepted = run(ok);
        assertEquals(0, accepted.exit(), accepted.out());
        assertTrue(accepted.out().contains("\"sub\"") && accepted.out().contains("agent-1"), accepted.out());

        List<String> wrongAud = new ArrayList<>(prefix);
        wrongAud.addAll(List.of(signet.jwksUrl(), "https://signet.test", "https://beta.example", token));
        assertNotEquals(0, run(wrongAud).exit(), "wrong audience must be rejected");

        String[] parts = token.split("\\.");
        String altered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
        List<String> tampered = new ArrayList<>(prefix);
        tampered.addAll(List.of(signet.jwksUrl(), "https://signet.test", "https://alpha.example", altered));
        assertNotEquals(0, run(tampered).exit(), "altered token must be rejected");
    }

    @Test
    void nodeJoseVerifies() throws Exception {
        RealBackends.require(Files.isDirectory(INTEROP.resolve("node_modules/jose")), "node jose",
                "run 'npm ci --prefix api/src/test/interop' (.ci/run does)");
        checkVerifier(List.of("node", "verify.mjs"));
    }

    @Test
    void pythonJoserfcVerifies() throws Exception {
        RealBackends.require(run(List.of("python3", "-c", "import joserfc")).exit() == 0, "python3 joserfc",
                "pip install joserfc");
        checkVerifier(List.of("python3", "verify.py"));
    }
}
