package dev.signet.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code signet dev} keeps its keys and state owner-only whatever the umask, and refuses keys others can read. */
class StateFileModesProcessTest {

    @TempDir
    Path dir;

    static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    List<String> dev(Path data) throws Exception {
        return SignetCommand.of("dev", "--data-dir", data.toString(),
                "--port", Integer.toString(DevModeProcessTest.freePort()),
                "--admin-port", Integer.toString(DevModeProcessTest.freePort()), "--mode", "delegated");
    }

    @Test
    void everyStateFileIsOwnerOnlyAndAKeystoreOthersCanReadStopsTheStart() throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        assumeTrue(mode(control).equals("rw-r--r--"), "needs umask 022 to mean anything; files get " + mode(control));
        Path data = dir.resolve("data"); // made by signet dev
        // Blank: generated dev credentials, written to <data>/dev-credentials.
        Map<String, String> env = Map.of("SIGNET_DEV_MINTER_TOKEN", "", "SIGNET_DEV_ADMIN_TOKEN", "");
        DevModeProcessTest.Started started = DevModeProcessTest.launch(dev(data), env, "dev minter credential");
        DevModeProcessTest.stop(started);

        List<Path> all;
        try (Stream<Path> walk = Files.walk(data)) {
            all = walk.toList();
        }
        List<String> names = all.stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("dev-credentials", "software.p12", "software.p12.pass", "keyset")),
                names.toString());
        assertTrue(names.stream().anyMatch(n -> n.startsWith("subkeys.")), "delegated mode's subkey records: " + names);
        for (Path p : all) {
            assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode(p), p.toString());
        }

        Path keystore = data.resolve("keys").resolve("software.p12").toAbsolutePath();
        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-r--r--"));
        ProcessBuilder pb = new ProcessBuilder(dev(data)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process refused = pb.start();
        String out = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(refused.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(2, refused.exitValue(), out);
        assertTrue(out.contains("chmod 600 " + keystore), out);
    }
}
