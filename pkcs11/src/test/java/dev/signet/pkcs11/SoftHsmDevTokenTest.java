package dev.signet.pkcs11;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftHsmDevTokenTest {

    @TempDir
    Path dataDir;

    @Test
    void makesTheTokenOnceAndSaysHowToUseIt() throws Exception {
        SoftHsm.require();
        SoftHsmDevToken.Setup setup = new SoftHsmDevToken(System::getenv).ensure(dataDir);

        Path dir = dataDir.resolve("softhsm").toAbsolutePath();
        assertEquals(dir.resolve("softhsm2.conf"), setup.softhsm2Conf());
        assertTrue(Files.readString(setup.softhsm2Conf()).contains("directories.tokendir = " + dir.resolve("tokens")));
        Map<String, String> values = setup.backendValues();
        assertEquals("pkcs11", values.get("type"));
        assertEquals(SoftHsmDevToken.LABEL, values.get("token-label"));
        assertTrue(Files.isReadable(Path.of(values.get("library"))));
        Path pinFile = Path.of(values.get("pin-file"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pinFile)));
        String pin = Files.readString(pinFile, StandardCharsets.UTF_8).strip();
        assertTrue(pin.length() >= 16, "a generated PIN, not a fixed one");
        assertFalse(values.containsValue(pin), "the PIN is referenced by file, never a value");

        // The token exists under the dev configuration and accepts the PIN.
        String objects = listObjects(setup.softhsm2Conf(), values.get("library"), pin);
        assertFalse(objects.contains("error"), objects);

        // A second start reuses token and PIN.
        SoftHsmDevToken.Setup again = new SoftHsmDevToken(System::getenv).ensure(dataDir);
        assertEquals(setup, again);
        assertEquals(pin, Files.readString(pinFile, StandardCharsets.UTF_8).strip());
        try (var dirs = Files.list(dir.resolve("tokens"))) {
            assertEquals(1, dirs.count(), "exactly one token was initialised");
        }
        // Everything is owner-only: Signet's files and directories, and SoftHSM2's token files within.
        try (var all = Files.walk(dataDir.resolve("softhsm"))) {
            for (Path p : all.toList()) {
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
            }
        }
    }

    @Test
    void aDevTokenOthersCanReadRefusesToStartAndSaysHowToFixIt() throws Exception {
        SoftHsm.require();
        new SoftHsmDevToken(System::getenv).ensure(dataDir);
        Path pin = dataDir.resolve("softhsm").resolve("pin").toAbsolutePath();
        Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-r--r--"));
        SignetException e = assertThrows(SignetException.class, () -> new SoftHsmDevToken(System::getenv).ensure(dataDir));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("chmod 600 " + pin), e.getMessage());
    }

    @Test
    void withoutSoftHsmItSaysWhatToInstall() {
        SignetException e = assertThrows(SignetException.class,
                () -> new SoftHsmDevToken(Map.of("PATH", dataDir.toString())::get).ensure(dataDir));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("apt-get install softhsm2"), e.getMessage());
        assertFalse(Files.exists(dataDir.resolve("softhsm")), "nothing is created when SoftHSM2 is missing");
    }

    private static String listObjects(Path conf, String library, String pin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("pkcs11-tool", "--module", library, "--token-label",
                SoftHsmDevToken.LABEL, "--login", "--pin", pin, "--list-objects").redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.toLowerCase();
    }
}
