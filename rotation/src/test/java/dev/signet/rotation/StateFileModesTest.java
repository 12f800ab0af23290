package dev.signet.rotation;

import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The journal, the subkey records and their lock files are owner-only, whatever the umask. */
class StateFileModesTest {

    @TempDir
    Path dir;

    static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theJournalAndSubkeyRecordsAreCreatedOwnerOnly() throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        assumeTrue(mode(control).equals("rw-r--r--"), "needs umask 022 to mean anything; files get " + mode(control));
        MutableClock clock = new MutableClock(Fixtures.START);
        Path data = dir.resolve("data");
        Path issuer = data.resolve("rotation").resolve("issuer");
        LifecycleStore store = new FileLifecycleStore(issuer);
        DelegatedKeyRing ring = DelegatedKeyRing.start(
                () -> MasterKeyRing.start(Fixtures.backend(dir, clock), store, Fixtures.DAILY, clock), store,
                new ReplicaId("r1"), InMemorySigning.EPHEMERAL, null, SigningAlgorithm.EdDSA, Duration.ofHours(1), clock);
        clock.advance(Duration.ofMinutes(30));
        ring.tick();
        ring.close();

        List<Path> all;
        try (Stream<Path> walk = Files.walk(data)) {
            all = walk.toList();
        }
        List<String> names = all.stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("keyset", "keyset.lock", "subkeys.r1", "subkeys-lock.r1")), names.toString());
        for (Path p : all) {
            assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode(p), p.toString());
        }
    }
}
