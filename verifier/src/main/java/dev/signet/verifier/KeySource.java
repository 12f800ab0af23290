package dev.signet.verifier;

import com.nimbusds.jose.jwk.JWK;

/** Where the verifier finds the issuer's public keys. */
@FunctionalInterface
public interface KeySource {

    /** The public key with this {@code kid}, or null if the issuer does not publish one. */
    JWK key(String kid);
}
