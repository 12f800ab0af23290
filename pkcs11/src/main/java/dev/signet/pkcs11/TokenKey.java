package dev.signet.pkcs11;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.SignetException;

import java.security.PrivateKey;

/**
 * One of the issuer's keys within one login: its entry, the token's handle on its private part, and a signer. The
 * first signature is verified with the kid's public key before it is returned, so a private key that does not match
 * its certificate can never sign for that kid.
 */
final class TokenKey {

    private final KeyEntry entry;
    private final PrivateKey privateKey;
    private final TokenClient.Signer signer;
    private volatile boolean pairChecked;

    TokenKey(KeyEntry entry, PrivateKey privateKey, TokenClient.Signer signer) {
        this.entry = entry;
        this.privateKey = privateKey;
        this.signer = signer;
    }

    String id() {
        return entry.kid();
    }

    KeyEntry entry() {
        return entry;
    }

    /** The token's handle, which holds no key material. */
    PrivateKey privateKey() {
        return privateKey;
    }

    /** @throws SignetException INTERNAL if the private key does not match the kid's public key */
    byte[] sign(byte[] input) {
        byte[] sig = signer.sign(input);
        if (!pairChecked) {
            if (!JcaSigningKey.verifies(entry.publicKey(), entry.algorithm(), input, sig)) {
                throw new SignetException(SignetException.Code.INTERNAL, "the private key labelled " + id()
                        + " does not match its certificate; refusing to sign with it");
            }
            pairChecked = true;
        }
        return sig;
    }
}
