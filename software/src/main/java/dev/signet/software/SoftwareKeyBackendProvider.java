package dev.signet.software;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendProvider;
import dev.signet.spi.SignetException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * {@code backend.type: software}. Settings: {@code keystore} (default {@code <data-dir>/keys/software.p12});
 * {@code password-env} or {@code password-file}. With neither, a random password is generated once into
 * {@code <keystore>.pass} (mode 0600) beside the keystore: fine for development, not for production.
 */
public final class SoftwareKeyBackendProvider implements KeyBackendProvider {

    @Override
    public String type() {
        return "software";
    }

    @Override
    public KeyBackend open(BackendSettings settings) {
        Path keystore = settings.get("keystore").map(Path::of)
                .orElse(settings.dataDir().resolve("keys").resolve("software.p12"));
        char[] password = settings.secret("password").orElseGet(() -> generatedPassword(keystore));
        return new SoftwareKeyBackend(keystore, password, settings.clock());
    }

    private static char[] generatedPassword(Path keystore) {
        Path passFile = keystore.resolveSibling(keystore.getFileName() + ".pass");
        try {
            if (!Files.exists(passFile)) {
                if (Files.exists(keystore)) {
                    throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "software keystore " + keystore
                            + " exists but its password file " + passFile + " does not; set backend.password-env or "
                            + "backend.password-file");
                }
                Files.createDirectories(passFile.toAbsolutePath().getParent());
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Files.createFile(passFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(passFile, Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
            }
            return Files.readString(passFile, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "cannot create or read " + passFile + ": " + e.getMessage());
        }
    }
}
