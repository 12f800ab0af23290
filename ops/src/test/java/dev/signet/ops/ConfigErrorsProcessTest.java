package dev.signet.ops;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every verb that reads a configuration file reads it as {@code serve} does ({@code SignetConfig.yamlFile}): YAML
 * that does not parse ends the process with one line naming the file, exit 2, and no stack trace.
 */
class ConfigErrorsProcessTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"audit-verify", "keys-create-wrapping-key", "aot-training", "serve"})
    void badYamlIsOneClearLineAndExitTwo(String verb) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "signet:\n  issuer: \"https://a.example\n  port: [8080\n");
        Path log = Files.createDirectories(dir.resolve("audit"));
        List<String> command = switch (verb) {
            case "audit-verify" -> SignetCommand.of("audit", "verify", log.toString(), "--heads-from", bad.toString());
            case "keys-create-wrapping-key" -> SignetCommand.of("keys", "create-wrapping-key", "--config", bad.toString());
            case "aot-training" -> SignetCommand.of("aot-training", bad.toString(), dir.resolve("cli.aot").toString());
            default -> SignetCommand.serve(bad);
        };
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // Bounded only so that a process that hangs fails the test; it ends as soon as it has read the file.
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the process must end by itself");
        // Left out: the JVM's own notices, and aot-training's daemon logging set-up (it starts a daemon when it can).
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING:") && !l.contains("JulProvider")
                && !l.startsWith("INFO: Logging at runtime configured")).toList();
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, lines.size(), "one line: " + err);
        assertTrue(lines.getFirst().startsWith("signet: ") && lines.getFirst().contains(bad.toString())
                && lines.getFirst().contains("not valid YAML") && lines.getFirst().contains("line 2, column 11"), err);
        assertFalse(err.contains("a.example"), "the file's text is not echoed (it may hold a secret): " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
    }
}
