package dev.signet.spi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StateFilesTest {

    @TempDir
    Path dir;

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** The modes below must come from the code, not from a strict umask of the test run. */
    void requireUmaskLetsGroupRead() throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        assumeTrue(mode(control).equals("rw-r--r--"), "needs umask 022 to mean anything; files here get "
                + mode(control));
        Files.delete(control);
    }

    @Test
    void writeCreatesOwnerOnlyFilesAndDirectoriesWhateverTheUmask() throws Exception {
        requireUmaskLetsGroupRead();
        Path file = dir.resolve("a").resolve("b").resolve("state");
        StateFiles.writeString(file, "journal\n");
        assertEquals("journal\n", Files.readString(file));
        assertEquals("rw-------", mode(file));
        assertEquals("rwx------", mode(dir.resolve("a")));
        assertEquals("rwx------", mode(dir.resolve("a").resolve("b")));
    }

    @Test
    void aReplacedFileIsOwnerOnlyAndNoTemporaryIsLeft() throws Exception {
        requireUmaskLetsGroupRead();
        Path file = Files.writeString(dir.resolve("keyset"), "old"); // as an older version wrote it: 0644
        StateFiles.write(file, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(file));
        assertEquals("rw-------", mode(file));
        try (var entries = Files.list(dir)) {
            assertEquals(List.of(file), entries.toList());
        }
    }

    @Test
    void createKeepsTheFirstContentAndSaysWhetherItWrote() throws Exception {
        requireUmaskLetsGroupRead();
        Path file = dir.resolve("data").resolve("replica-id");
        assertTrue(StateFiles.create(file, "first\n".getBytes(StandardCharsets.UTF_8)));
        assertFalse(StateFiles.create(file, "second\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("first\n", Files.readString(file));
        assertEquals("rw-------", mode(file));
        try (var entries = Files.list(file.getParent())) {
            assertEquals(List.of(file), entries.toList(), "no temporary file is left");
        }
    }

    @Test
    void aLockFileIsOwnerOnlyAndReentrant() throws Exception {
        requireUmaskLetsGroupRead();
        Path lockFile = dir.resolve("locks").resolve("keyset.lock");
        try (StateFiles.Lock outer = StateFiles.lock(lockFile, Duration.ofSeconds(30));
             StateFiles.Lock inner = StateFiles.lock(lockFile, Duration.ofSeconds(30))) {
            assertEquals("rw-------", mode(lockFile));
            assertEquals("rwx------", mode(lockFile.getParent()));
            assertEquals("pid " + ProcessHandle.current().pid(), Files.readString(lockFile).strip());
        }
    }

    @Test
    void aThreadWaitingTooLongIsToldWhichThreadHoldsTheLock() throws Exception {
        Path lockFile = dir.resolve("subkeys.lock");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().name("holder-thread").start(() -> {
            try (StateFiles.Lock ignored = StateFiles.lock(lockFile, Duration.ofSeconds(30))) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(60, TimeUnit.SECONDS));
        SignetException e = assertThrows(SignetException.class, () -> StateFiles.lock(lockFile, Duration.ofMillis(50)));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains(lockFile.toString()) && e.getMessage().contains("holder-thread"),
                e.getMessage());
        release.countDown();
        holder.join();
        StateFiles.lock(lockFile, Duration.ofSeconds(30)).close();
    }

    @Test
    void aProcessWaitingTooLongIsToldWhichProcessHoldsTheLock() throws Exception {
        Path lockFile = dir.resolve("keyset.lock");
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), lockFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(60, TimeUnit.SECONDS));

            SignetException e = assertThrows(SignetException.class, () -> StateFiles.lock(lockFile, Duration.ofMillis(50)));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().contains(lockFile.toString()) && e.getMessage().contains("pid " + other.pid()),
                    e.getMessage());

            other.getOutputStream().close(); // the holder exits, and the OS releases its lock
            assertTrue(other.waitFor(60, TimeUnit.SECONDS));
            StateFiles.lock(lockFile, Duration.ofSeconds(60)).close();
        } finally {
            other.destroyForcibly();
        }
    }

    /** Holds a lock until its standard input closes. */
    public static final class LockHolder {
        public static void main(String[] args) throws Exception {
            try (StateFiles.Lock ignored = StateFiles.lock(Path.of(args[0]), Duration.ofSeconds(30))) {
                System.out.println("locked");
                System.out.flush();
                System.in.read();
            }
        }
    }

    @Test
    void keyFilesOpenToOthersAreRefusedWithTheChmodThatFixesThem() throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));
        Path keystore = Files.writeString(keys.resolve("software.p12"), "x");
        Path pass = Files.writeString(keys.resolve("software.p12.pass"), "x");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));

        SignetException e = assertThrows(SignetException.class, () -> StateFiles.requireOwnerOnly(keys, "key directory"));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("chmod 700 " + keys + " && chmod 600 " + keystore + " "), e.getMessage());
        assertTrue(!e.getMessage().contains(pass.toString()), "an owner-only file is not named: " + e.getMessage());

        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
        e = assertThrows(SignetException.class, () -> StateFiles.requireOwnerOnly(keystore, "keystore"));
        assertTrue(e.getMessage().contains("chmod 600 " + keystore + " "), e.getMessage());

        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-------"));
        StateFiles.requireOwnerOnly(keys, "key directory");
        StateFiles.requireOwnerOnly(dir.resolve("missing"), "nothing yet");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw----r--"));
        assertThrows(SignetException.class, () -> StateFiles.requireOwnerOnly(keys, "key directory"),
                "readable by others alone is enough");
    }
}
