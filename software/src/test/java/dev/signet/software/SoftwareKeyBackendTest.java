package dev.signet.software;

import dev.signet.spi.SigningKey;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendContract;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SoftwareKeyBackendTest extends KeyBackendContract {

    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    Path dir;

    @Override
    protected KeyBackend open() {
        return new SoftwareKeyBackend(dir.resolve("keys.p12"), PASSWORD.toCharArray(), Clock.systemUTC());
    }

    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.allOf(SigningAlgorithm.class);
    }

    @Override
    protected List<String> secrets() {
        return List.of(PASSWORD);
    }

    @Test
    void twoInstancesSharingTheFileSeeEachOthersKeysAndLoseNone() {
        KeyBackend other = open();
        String a = backend.generate(SigningAlgorithm.ES256).id();
        String b = other.generate(SigningAlgorithm.EdDSA).id(); // written on top of a's change, not over it
        assertEquals(a, other.get(a).id());
        assertEquals(b, backend.get(b).id());
        backend.destroy(a);
        assertEquals(List.of(b), other.list().stream().map(dev.signet.spi.SigningKey::id).toList());
        assertEquals(List.of(b), open().list().stream().map(dev.signet.spi.SigningKey::id).toList());
    }

    @Test
    void wrongPasswordIsAClearErrorNotAnEmptyKeystore() {
        backend.generate(SigningAlgorithm.ES256);
        SignetException e = assertThrows(SignetException.class,
                () -> new SoftwareKeyBackend(dir.resolve("keys.p12"), "wrong".toCharArray(), Clock.systemUTC()));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theKeystoreItsPasswordAndTheirDirectoriesAreOwnerOnlyWhateverTheUmask() throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        assumeTrue(mode(control).equals("rw-r--r--"), "needs umask 022 to mean anything; files get " + mode(control));
        Path data = dir.resolve("data");
        KeyBackend opened = new SoftwareKeyBackendProvider().open(new BackendSettings(Map.of(), data, "https://issuer",
                Clock.systemUTC(), name -> null));
        opened.generate(SigningAlgorithm.ES256);
        Path keys = data.resolve("keys");
        assertEquals("rwx------", mode(data));
        assertEquals("rwx------", mode(keys));
        try (var files = Files.list(keys)) {
            List<Path> all = files.sorted().toList();
            assertEquals(List.of("software.p12", "software.p12.lock", "software.p12.pass"),
                    all.stream().map(f -> f.getFileName().toString()).toList());
            for (Path f : all) {
                assertEquals("rw-------", mode(f), f.toString());
            }
        }
    }

    @Test
    void theDefaultKeyDirectoryOpenToOthersRefusesToOpenAndSaysHowToFixIt() throws Exception {
        BackendSettings settings = new BackendSettings(Map.of(), dir.resolve("data"), "https://issuer",
                Clock.systemUTC(), name -> null);
        new SoftwareKeyBackendProvider().open(settings).generate(SigningAlgorithm.ES256);
        Path keys = dir.resolve("data").resolve("keys");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxr-xr-x"));
        SignetException e = assertThrows(SignetException.class, () -> new SoftwareKeyBackendProvider().open(settings));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("chmod 700 " + keys.toAbsolutePath()), e.getMessage());
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
        assertEquals(1, new SoftwareKeyBackendProvider().open(settings).list().size(), "owner-only again, it opens");
    }

    @Test
    void aKeystoreOthersCanReadRefusesToOpenAndSaysHowToFixIt() throws Exception {
        backend.generate(SigningAlgorithm.ES256);
        Path keystore = dir.resolve("keys.p12");
        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-r--r--"));
        SignetException e = assertThrows(SignetException.class, this::open);
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("chmod 600 " + keystore.toAbsolutePath()), e.getMessage());

        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-------"));
        assertEquals(1, open().list().size(), "owner-only again, it opens");
    }

    /** The PKCS#12 file's MAC iteration count, and whether it holds an encrypted (certificate) bag. */
    private static int macIterations(Path p12) throws Exception {
        return org.bouncycastle.asn1.pkcs.Pfx.getInstance(Files.readAllBytes(p12)).getMacData().getIterationCount()
                .intValue();
    }

    private static boolean certificatesEncrypted(Path p12) throws Exception {
        var pfx = new org.bouncycastle.pkcs.PKCS12PfxPdu(Files.readAllBytes(p12));
        return java.util.Arrays.stream(pfx.getContentInfos()).anyMatch(c -> c.getContentType()
                .equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.encryptedData));
    }

    @Test
    void aGeneratedPasswordIsNotStretchedAChosenOneIsAndBothReopen() throws Exception {
        Path data = dir.resolve("data");
        BackendSettings generated = new BackendSettings(Map.of(), data, "https://issuer", Clock.systemUTC(),
                name -> null);
        String kid = new SoftwareKeyBackendProvider().open(generated).generate(SigningAlgorithm.ES256).id();
        Path p12 = data.resolve("keys").resolve("software.p12");
        assertEquals(1, macIterations(p12), "a random 256-bit password needs no stretching");
        assertTrue(!certificatesEncrypted(p12), "certificates are public");
        KeyBackend reopened = new SoftwareKeyBackendProvider().open(generated);
        String second = reopened.generate(SigningAlgorithm.EdDSA).id();
        assertEquals(1, macIterations(p12), "a loaded keystore keeps its file's protection");
        assertEquals(Set.of(kid, second), Set.copyOf(new SoftwareKeyBackendProvider().open(generated).list().stream()
                .map(SigningKey::id).toList()));
        assertEquals(kid, reopened.get(kid).id());
        SignetException wrong = assertThrows(SignetException.class,
                () -> new SoftwareKeyBackend(p12, "wrong".toCharArray(), Clock.systemUTC()));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, wrong.code(), "the MAC still checks the password");

        backend.generate(SigningAlgorithm.ES256); // a chosen password
        Path chosen = dir.resolve("keys.p12");
        assertTrue(macIterations(chosen) >= 10_000, "a chosen password keeps the JDK's stretching");
        assertTrue(certificatesEncrypted(chosen));
        assertEquals(null, System.getProperty("keystore.pkcs12.macIterationCount"), "the properties are restored");
    }
}
