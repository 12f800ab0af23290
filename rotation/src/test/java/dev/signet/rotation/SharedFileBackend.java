package dev.signet.rotation;

import dev.signet.signer.KeyBackend;
import dev.signet.signer.SigningAlgorithm;
import dev.signet.signer.SigningKey;
import dev.signet.signer.software.SoftwareKeyBackend;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * The software keystore shared by several processes, as a KMS or HSM is: it re-reads the file on every
 * call, because {@link SoftwareKeyBackend} reads it only when opened. Writes stay safe because the ring
 * generates and destroys only under the journal's lock.
 */
final class SharedFileBackend implements KeyBackend {

    private final Path file;
    private final Clock clock;

    SharedFileBackend(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    private KeyBackend open() {
        return new SoftwareKeyBackend(file, Fixtures.PASSWORD, clock);
    }

    @Override
    public String type() {
        return "software";
    }

    @Override
    public boolean hardwareProtected() {
        return false;
    }

    @Override
    public Set<SigningAlgorithm> algorithms() {
        return Set.of(SigningAlgorithm.values());
    }

    @Override
    public SigningKey generate(SigningAlgorithm algorithm) {
        return open().generate(algorithm);
    }

    @Override
    public SigningKey get(String id) {
        return open().get(id);
    }

    @Override
    public List<SigningKey> list() {
        return open().list();
    }

    @Override
    public void destroy(String id) {
        open().destroy(id);
    }
}
