package dev.signet.software;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendProvider;
import dev.signet.spi.SignetException;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * {@code backend.type: software}. Settings: {@code keystore} (default {@code <data-dir>/keys/software.p12});
 * {@code password-env} or {@code password-file}. With neither, a random password is generated once into
 * {@code <keystore>.pass} (mode 0600) beside the keystore: fine for development, not for production. It refuses to
 * open a keystore, its password file or the default key directory that group or others may use.
 */
public final class SoftwareKeyBackendProvider implements KeyBackendProvider {

    @Override
    public String type() {
        return "software";
    }

    @Override
    public KeyBackend open(BackendSettings settings) {
        Optional<Path> configured = settings.get("keystore").map(Path::of);
        Path keystore = configured.orElse(settings.dataDir().resolve("keys").resolve("software.p12"));
        if (configured.isEmpty()) {
            // Signet's own directory, so everything in it must be owner-only; a configured keystore may share its
            // directory with other files, and is checked alone.
            StateFiles.requireOwnerOnly(keystore.getParent(), "software key directory");
        }
        Optional<char[]> configuredPassword = settings.secret("password");
        if (configuredPassword.isPresent()) {
            return new SoftwareKeyBackend(keystore, configuredPassword.get(), false, settings.clock());
        }
        return new SoftwareKeyBackend(keystore, generatedPassword(keystore), true, settings.clock());
    }

    private static char[] generatedPassword(Path keystore) {
        Path passFile = keystore.resolveSibling(keystore.getFileName() + ".pass");
        // The keystore's lock: two processes starting together must not write two different passwords.
        try (StateFiles.Lock ignored = StateFiles.lock(SoftwareKeyBackend.lockFile(keystore), StateFiles.LOCK_TIMEOUT)) {
            if (!Files.exists(passFile)) {
                if (Files.exists(keystore)) {
                    throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "software keystore " + keystore
                            + " exists but its password file " + passFile + " does not; set backend.password-env or "
                            + "backend.password-file");
                }
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                StateFiles.writeString(passFile, Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
            }
            StateFiles.requireOwnerOnly(passFile, "software keystore password file");
            return Files.readString(passFile, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "cannot create or read " + passFile + ": " + e.getMessage());
        }
    }
}
