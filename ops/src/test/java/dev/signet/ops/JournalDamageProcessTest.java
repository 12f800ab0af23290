package dev.signet.ops;

import dev.signet.issuance.CredentialHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code signet serve} with its key journal deleted: one line naming the fix, then {@code --init-issuer} starts. */
class JournalDamageProcessTest {

    @TempDir
    Path dir;

    @Test
    void aDeletedJournalStopsServeUntilInitIssuer() throws Exception {
        Path config = dir.resolve("signet.yaml");
        Files.writeString(config, """
                signet:
                  issuer: "https://signet.journal.test"
                  port: 0
                  admin:
                    port: 0
                    credential-hash: "%s"
                  data-dir: "%s"
                  backend:
                    type: software
                  minters:
                    - name: m
                      credential-hash: "%s"
                      audiences: ["https://a.example"]
                      resources: ["repo:a/*"]
                      actions: ["read"]
                """.formatted(CredentialHash.of("admin-credential-0123456789abcdef").text(), dir.resolve("data"),
                CredentialHash.of("minter-credential-0123456789abcdef").text()));
        DevModeProcessTest.stop(SignetCommand.startServe(config, Map.of()));
        Path journal;
        try (var files = Files.walk(dir.resolve("data"))) {
            journal = files.filter(f -> f.getFileName().toString().equals("keyset")).findFirst().orElseThrow();
        }
        Files.delete(journal);

        Process refused = new ProcessBuilder(SignetCommand.serve(config)).redirectErrorStream(true).start();
        // Bounded wait: a daemon that started over would keep running here, and fail.
        assertTrue(refused.waitFor(180, TimeUnit.SECONDS), "serve must refuse and end by itself");
        String out = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, refused.exitValue(), out);
        assertTrue(out.contains("no key journal") && out.contains("--init-issuer") && out.contains("RUNBOOK"), out);
        assertFalse(out.contains("\tat "), "one line, no stack trace: " + out);
        assertTrue(Files.notExists(journal), "nothing was started over");

        DevModeProcessTest.stop(DevModeProcessTest.launch(SignetCommand.serve(config, "--init-issuer"), Map.of(), "signet: backend"));
        assertEquals(true, Files.exists(journal), "the operator's new issuer has a journal");
    }
}
