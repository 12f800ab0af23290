package dev.signet.audit;

import dev.signet.spi.SigningKey;

import java.util.Optional;

/** The issuer's backend keys as the audit log needs them: one backend signature per checkpoint, none per token. */
public interface CheckpointKeys {

    /**
     * The backend (master) key that signs checkpoints now.
     *
     * @throws dev.signet.spi.SignetException UNAVAILABLE when the backend cannot sign; the log retries later
     */
    SigningKey current();

    /** A key that signed earlier checkpoints, while the backend still holds it (to sign the link to its successor). */
    Optional<SigningKey> find(String kid);
}
