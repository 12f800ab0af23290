package dev.signet.ops;

import dev.signet.issuance.CredentialHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator sees at start-up when something is wrong: a taken port ends the process, an http issuer warns. */
class StartProblemsProcessTest {

    @TempDir
    Path dataDir;

    @Test
    void aTakenPortEndsTheProcessAtOnceNamingTheSocket() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<String> command = SignetCommand.of("dev", "--data-dir", dataDir.toString(),
                    "--port", Integer.toString(taken.getLocalPort()), "--admin-port", "0");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            // Bounded wait: a process that keeps serving nothing would hang here, and fail.
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process must end by itself");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, p.exitValue(), out);
            assertTrue(out.contains("public socket 127.0.0.1:" + taken.getLocalPort()) && out.contains("cannot be bound"),
                    out);
            assertTrue(!out.contains(":-1"), "no URL with port -1 is printed: " + out);
        }
    }

    @Test
    void serveWithAnHttpIssuerWarns() throws Exception {
        Path config = dataDir.resolve("signet.yaml");
        Files.writeString(config, """
                signet:
                  issuer: "http://signet.internal"
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
                """.formatted(CredentialHash.of("admin-credential-0123456789abcdef").text(), dataDir.resolve("data"),
                CredentialHash.of("minter-credential-0123456789abcdef").text()));
        DevModeProcessTest.Started serve = SignetCommand.startServe(config, Map.of());
        try {
            assertTrue(serve.lines().stream().anyMatch(l -> l.contains("WARNING") && l.contains("http://signet.internal")
                    && l.contains("not https")), serve.lines().toString());
        } finally {
            DevModeProcessTest.stop(serve);
        }
    }
}
