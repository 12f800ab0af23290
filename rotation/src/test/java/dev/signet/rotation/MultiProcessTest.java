package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.KeyBackend;
import dev.signet.software.SoftwareKeyBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three JVMs sharing one data dir and keystore race through due transitions: each happens exactly once. */
class MultiProcessTest {

    private static final int REPLICAS = 3;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void replicaProcessesStartingAtADueRotationCreateExactlyOneKeyAndAgree() throws Exception {
        MutableClock clock = new MutableClock(Fixtures.START);
        Path keystore = dir.resolve("keys.p12");
        KeyBackend backend = new SoftwareKeyBackend(keystore, Fixtures.PASSWORD, clock);
        String first = MasterKeyRing.start(backend, dir.resolve("issuer"), Fixtures.DAILY, clock)
                .signingSlot().key().id();

        // 22 h: the successor is due to be prepared; every replica starts and ticks at that instant.
        List<Map<String, String>> prepared = race(Fixtures.START.plus(Duration.ofHours(22)), keystore, "prepare");
        assertEquals(2, backend.list().size(), "exactly one new key");
        for (Map<String, String> r : prepared) {
            assertEquals(first, r.get("ACTIVE"));
            assertEquals(prepared.getFirst(), r, "all replicas serve the same journal");
        }
        assertEquals(2, prepared.getFirst().get("PUBLISHED").split(",").length);

        // 24 h: the successor is due to activate.
        List<Map<String, String>> activated = race(Fixtures.START.plus(Duration.ofHours(24)), keystore, "activate");
        assertEquals(2, backend.list().size(), "activation generates nothing");
        String second = new FileLifecycleStore(dir.resolve("issuer")).load().active().orElseThrow().kid();
        assertTrue(!second.equals(first));
        for (Map<String, String> r : activated) {
            assertEquals(second, r.get("ACTIVE"));
            assertEquals(activated.getFirst(), r);
        }
        assertEquals(Long.parseLong(prepared.getFirst().get("VERSION")) + 1,
                Long.parseLong(activated.getFirst().get("VERSION")), "one journal write for one activation");
    }

    private List<Map<String, String>> race(Instant at, Path keystore, String name) throws IOException,
            InterruptedException {
        Path go = dir.resolve("go-" + name);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        List<Path> errors = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            Path err = dir.resolve(name + "-" + i + ".err");
            errors.add(err);
            processes.add(new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    ReplicaMain.class.getName(), dir.resolve("issuer").toString(), keystore.toString(),
                    at.toString(), go.toString()).redirectError(err.toFile()).start());
        }
        for (Process p : processes) {
            String ready = new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8);
            assertEquals("READY\n", ready, "replica started");
        }
        Files.createFile(go);
        List<Map<String, String>> outputs = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            Process p = processes.get(i);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "replica finished");
            assertEquals(0, p.exitValue(), "replica " + i + " failed: " + Files.readString(errors.get(i)));
            Map<String, String> fields = new HashMap<>();
            for (String line : out.strip().split("\n")) {
                String[] kv = line.split("=", 2);
                fields.put(kv[0], kv[1]);
            }
            outputs.add(fields);
        }
        return outputs;
    }
}
