package dev.signet.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ops/bin/signet in a scratch checkout whose Maven wrapper is a stand-in that packs a tiny release: it rebuilds
 * only when sources change, never under a running signet, and keeps Maven's chatter off the terminal.
 */
class LauncherTest {

    @TempDir
    Path root;

    /** Packs signet-9.9.9.tar.gz whose bin/signet says which build it is; noisy like Maven on JDK 25. */
    static final String FAKE_MVNW = """
            #!/usr/bin/env bash
            cd "$(dirname "$0")"
            echo "mvnw $* MAVEN_OPTS=${MAVEN_OPTS:-}" >>mvnw.calls
            echo "WARNING: sun.misc.Unsafe::staticFieldBase has been called by com.google.inject" >&2
            echo "[INFO] Building Signet"
            if [ -f fail ]; then echo "[ERROR] A.java:[1] compilation failed"; exit 1; fi
            out="$(mktemp -d)"; rel="$out/signet-9.9.9"; mkdir -p "$rel/bin" "$rel/lib" ops/target
            sha256sum <spi/src/main/java/A.java | cut -c1-8 >"$rel/lib/signet.jar"
            cat >"$rel/bin/signet" <<'EOS'
            #!/usr/bin/env bash
            home="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
            echo "ran $1 from $home build $(cat "$home/lib/signet.jar")"
            if [ "$1" = hold ]; then exec sleep 120; fi
            EOS
            chmod +x "$rel/bin/signet"
            tar czf ops/target/signet-9.9.9.tar.gz -C "$out" signet-9.9.9 && rm -rf "$out"
            """;

    @Test
    void rebuildsOnlyWhenSourcesChangeAndNeverUnderARunningSignet() throws Exception {
        write("pom.xml", "<project/>");
        write("spi/src/main/java/A.java", "class A {} // v1");
        write(".mvn/wrapper/maven-wrapper.properties", "distributionUrl=x");
        write("mvnw", FAKE_MVNW);
        Files.createDirectories(root.resolve("ops/bin"));
        Files.copy(Path.of("bin", "signet"), root.resolve("ops/bin/signet"));
        for (String exe : List.of("mvnw", "ops/bin/signet")) {
            Files.setPosixFilePermissions(root.resolve(exe), PosixFilePermissions.fromString("rwxr-xr-x"));
        }

        Run first = signet("--version");
        assertEquals(0, first.exit(), first.output());
        assertEquals(List.of("signet: building (first run or sources changed) ...", "ran --version from "
                + root.resolve(".signet/install").toRealPath() + "/" + installed().getFileName() + " build "
                + buildOf(installed())), first.output().lines().toList(), "Maven's own output stays off the terminal");
        assertEquals(1, calls().size());
        if (Runtime.version().feature() >= 24) {
            assertTrue(calls().getFirst().contains("--sun-misc-unsafe-memory-access=allow"), calls().toString());
        }

        // Generated sources, test sources and build output are not what the release is built from.
        write("ops/bench/target/generated-sources/annotations/Gen_jmhTest.java", "class Gen {}");
        write("api/src/test/java/SomeTest.java", "class SomeTest {}");
        write("spi/target/classes/A.class", "x");
        Run again = signet("--version");
        assertEquals(1, calls().size(), "no rebuild: " + again.output());
        assertFalse(again.output().contains("building"), again.output());

        // A running signet keeps its build; a rebuild goes to a new folder.
        ProcessBuilder hold = new ProcessBuilder(root.resolve("ops/bin/signet").toString(), "hold").directory(root.toFile())
                .redirectErrorStream(true);
        hold.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process holder = hold.start();
        String held = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
        Path heldDir = installed();
        String heldBuild = buildOf(heldDir);
        assertTrue(held.startsWith("ran hold from " + heldDir.toRealPath()), held);
        write("spi/src/main/java/A.java", "class A {} // v2");
        Run v2 = signet("--version");
        assertEquals(2, calls().size(), v2.output());
        Path v2Dir = installed();
        assertNotEquals(heldDir.toRealPath(), v2Dir.toRealPath());
        assertTrue(v2.output().contains("ran --version from " + v2Dir.toRealPath() + " build " + buildOf(v2Dir)), v2.output());
        assertEquals(heldBuild, buildOf(heldDir), "the running signet's build is untouched");

        holder.destroy();
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        write("spi/src/main/java/A.java", "class A {} // v3");
        assertEquals(0, signet("--version").exit());
        assertFalse(Files.exists(heldDir), "a build no signet holds any more is removed");
        assertFalse(Files.exists(v2Dir));

        write("fail", "");
        write("spi/src/main/java/A.java", "class A {} // v4, broken");
        Run broken = signet("--version");
        assertNotEquals(0, broken.exit());
        assertTrue(broken.output().contains("[ERROR] A.java:[1] compilation failed")
                && broken.output().contains("signet: the build failed"), "a failed build shows Maven's output: " + broken.output());
    }

    record Run(int exit, String output) {
    }

    private Run signet(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(root.resolve("ops/bin/signet").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("MAVEN_OPTS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    private Path installed() throws IOException {
        return root.resolve(".signet/install").resolve(Files.readSymbolicLink(root.resolve(".signet/install/current")));
    }

    private static String buildOf(Path install) throws IOException {
        return Files.readString(install.resolve("lib/signet.jar")).strip();
    }

    private List<String> calls() throws IOException {
        return Files.readAllLines(root.resolve("mvnw.calls"));
    }

    private void write(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
