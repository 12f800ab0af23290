package dev.signet.rotation;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicaIdTest {

    @Test
    void generatedOnceAndKeptPrivately(@TempDir Path dataDir) throws IOException {
        ReplicaId first = ReplicaId.resolve(null, dataDir);
        assertEquals(first, ReplicaId.resolve(null, dataDir), "a restart is the same replica");
        Path file = dataDir.resolve(ReplicaId.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(first.value() + "\n", Files.readString(file));
        try (var files = Files.list(dataDir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
        assertNotEquals(first, ReplicaId.resolve(null, dataDir.resolve("other")), "another data dir, another id");
    }

    @Test
    void theConfiguredIdWinsAndIsNotWritten(@TempDir Path dataDir) {
        assertEquals("eu-west-1a", ReplicaId.resolve(" eu-west-1a ", dataDir).value());
        assertTrue(Files.notExists(dataDir.resolve(ReplicaId.FILE)));
    }

    @Test
    void invalidIdsAreRefusedWithTheFix(@TempDir Path dataDir) throws IOException {
        var e = assertThrows(SignetException.class, () -> ReplicaId.resolve("a b", dataDir));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertThrows(SignetException.class, () -> new ReplicaId("-x"));
        assertThrows(SignetException.class, () -> new ReplicaId("x".repeat(64)));

        Files.writeString(dataDir.resolve(ReplicaId.FILE), "no/slashes\n");
        e = assertThrows(SignetException.class, () -> ReplicaId.resolve(null, dataDir));
        assertTrue(e.getMessage().contains("delete it to generate a new id"), e.getMessage());
    }
}
