package dev.signet.software;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Set;

/**
 * A native library that holds in-memory private keys outside the Java heap and signs with them. Implementations
 * are compiled for a newer Java release than the rest of Signet and are only ever loaded reflectively by
 * {@link InMemorySigning}, which falls back to BouncyCastle when they cannot be loaded.
 */
public interface NativeSigningLibrary {

    /** The library, its version and how it is reached, for the start-up log. */
    String description();

    /** ES256 verification in this library, public keys cached. */
    P256Verifier p256Verifier();

    /** Readies what generating and signing keys will call (a daemon does it on another thread while it starts). */
    default void prepareKeys() {
    }

    /** The algorithms this library signs. */
    Set<SigningAlgorithm> algorithms();

    /**
     * Generates a key pair inside the library, so the private key never exists in Java memory.
     *
     * @return a key whose id is the RFC 7638 thumbprint of its public key
     * @throws IllegalArgumentException if the algorithm is not in {@link #algorithms()}
     * @throws SignetException INTERNAL if the library fails
     */
    SigningKey generate(SigningAlgorithm algorithm);

    /**
     * Generates a key pair inside the library and also hands out its private key, for a backend that must store it
     * (the software keystore).
     *
     * @throws IllegalArgumentException if the algorithm is not in {@link #algorithms()}
     * @throws SignetException INTERNAL if the library fails
     */
    Generated generateStorable(SigningAlgorithm algorithm);

    /** A key that signs in the library, and its key pair as JDK keys (the private key PKCS#8-encoded) to store. */
    record Generated(SigningKey key, KeyPair pair) {
        @Override
        public String toString() {
            return "Generated[" + key + "]";
        }
    }

    /**
     * Copies an existing private key into the library.
     *
     * @param privateKey a key whose {@code getEncoded()} is PKCS#8; the copy this method takes is zeroed afterwards
     * @throws IllegalArgumentException if the algorithm is not in {@link #algorithms()}
     * @throws SignetException INVALID_ARGUMENT if an ES256 key is not on P-256; INTERNAL if the library cannot read
     *                         the key
     */
    SigningKey load(String id, SigningAlgorithm algorithm, PublicKey publicKey, PrivateKey privateKey);
}
