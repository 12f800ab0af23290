package dev.signet.spi;

import java.util.List;
import java.util.Set;

/**
 * Where signing keys live: the software keystore, a PKCS#11 token or AWS KMS.
 * Every implementation passes the contract suite in this module's test-jar
 * ({@code KeyBackendContract}).
 */
public interface KeyBackend extends AutoCloseable {

    /** A short name for logs and health, e.g. {@code software}, {@code pkcs11}, {@code kms}. */
    String type();

    /** True only when private keys cannot leave the backend (HSM, KMS). */
    boolean hardwareProtected();

    /** The algorithms {@link #generate} accepts. */
    Set<SigningAlgorithm> algorithms();

    /**
     * Creates a new key inside the backend and persists it there.
     *
     * @throws SignetException INVALID_ARGUMENT if the algorithm is not in {@link #algorithms()};
     *                         UNAVAILABLE if the backend cannot be reached
     */
    SigningKey generate(SigningAlgorithm algorithm);

    /**
     * Finds a key by id.
     *
     * @throws SignetException NOT_FOUND if the backend has no such key
     */
    SigningKey get(String id);

    /** Every key this backend holds for Signet. */
    List<SigningKey> list();

    /**
     * Deletes a key. Backends that cannot delete at once (KMS) schedule the deletion.
     *
     * @throws SignetException NOT_FOUND if the backend has no such key
     */
    void destroy(String id);

    /**
     * The wrapping key named {@code name} (an ARN or alias on KMS, a label on PKCS#11), created first when
     * {@code create} and it does not exist yet.
     *
     * @throws SignetException INVALID_ARGUMENT if this backend cannot wrap; NOT_FOUND if there is no such key
     *                         and not {@code create}; UNAVAILABLE if the backend cannot be reached
     */
    default WrappingKey wrappingKey(String name, boolean create) {
        throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "the " + type() + " backend has no"
                + " wrapping keys (signet.delegation.wrapping-key needs kms or pkcs11)");
    }

    /**
     * Why the backend cannot sign right now (session lost and re-initialising, outage, throttled),
     * or empty when it can. Health checks report it; it never holds secrets.
     */
    default java.util.Optional<String> degraded() {
        return java.util.Optional.empty();
    }

    /** Whether calls reach the backend: a breaker's states, named as metrics and the key timeline show them. */
    enum Circuit {
        /** Calls go out. */
        CLOSED,
        /** One probe call is out to see whether the backend is back. */
        HALF_OPEN,
        /** Calls fail fast (outage, or the session is being re-established). */
        OPEN
    }

    /** The backend's circuit breaker; a backend without one is always {@link Circuit#CLOSED}. */
    default Circuit circuit() {
        return Circuit.CLOSED;
    }

    @Override
    default void close() {
    }
}
