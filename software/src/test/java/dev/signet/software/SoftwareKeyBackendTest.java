package dev.signet.software;

import dev.signet.spi.SigningKey;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendContract;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
