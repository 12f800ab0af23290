package dev.signet.spi;

/**
 * Makes signing keys that live only in this process's memory, such as delegated subkeys. The implementation
 * (the fastest measured in-memory signer) lives with the software backend; rotation only needs this call.
 */
@FunctionalInterface
public interface EphemeralKeys {

    /**
     * A new key pair whose private part stays in this process.
     *
     * @throws SignetException INVALID_ARGUMENT if the algorithm cannot be generated here
     */
    SigningKey generate(SigningAlgorithm algorithm);
}
