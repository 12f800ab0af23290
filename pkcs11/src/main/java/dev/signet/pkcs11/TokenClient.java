package dev.signet.pkcs11;

import dev.signet.spi.SigningAlgorithm;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The PKCS#11 operations Signet uses, on one library: list the tokens, log in to one, re-initialise the library;
 * on a logged-in token, read the key entries, generate a key pair, store and delete an entry, and sign.
 * {@link SunPkcs11Client} is the real one (SunPKCS11 plus the JDK's wrapper); tests also run a fake.
 *
 * <p>Failures of the token or the library are reported as {@link java.security.ProviderException}s (such as
 * {@link TokenError}) or exceptions that carry a PKCS#11 error in their cause chain; {@link TokenFaults} classifies
 * them. Re-initialising the library invalidates every session opened before it: their operations then fail with a
 * token error rather than use a handle that may have been reused.
 */
interface TokenClient {

    /** One token as the library describes it. */
    record Token(long slot, int slotListIndex, String label, long maxRwSessions) {

        /** CK_UNAVAILABLE_INFORMATION (~0) and CK_EFFECTIVELY_INFINITE (0) for session counts. */
        private static final long UNAVAILABLE_INFORMATION = -1L;
        private static final long EFFECTIVELY_INFINITE = 0L;

        /** The number of sessions the token allows, or {@link Integer#MAX_VALUE} if it sets no limit. */
        int sessionLimit() {
            if (maxRwSessions == EFFECTIVELY_INFINITE || maxRwSessions > Integer.MAX_VALUE) {
                return Integer.MAX_VALUE;
            }
            // SunPKCS11 assumes 32 when the token does not say.
            return maxRwSessions == UNAVAILABLE_INFORMATION || maxRwSessions < 0 ? 32 : (int) maxRwSessions;
        }
    }

    /** Where the library is, for operators' logs and start-up errors only. */
    String library();

    /** Every initialised token in the library's slots (C_GetSlotList, C_GetTokenInfo). */
    List<Token> tokens() throws Exception;

    /**
     * Logs in to a token with the user PIN. A refused PIN is reported with its PKCS#11 error
     * ({@code CKR_PIN_INCORRECT} and the like), never with the PIN.
     */
    Session login(Token token, char[] pin) throws Exception;

    /** Bumped by every re-initialisation of the library. */
    long generation();

    /**
     * C_Finalize then C_Initialize, so the library sees re-inserted or re-initialised tokens, unless another caller
     * already did so since {@code ifStillAt}: backends that share the library must not undo each other's recovery.
     *
     * @return the generation afterwards
     */
    long reinitialize(long ifStillAt) throws Exception;

    /** One login to one token. Thread-safe. */
    interface Session {

        Token token();

        /** The library generation this session was opened in. */
        long generation();

        /** Re-reads the token and returns every key entry: a private key with a certificate under one label. */
        List<Entry> entries() throws Exception;

        /** Generates a key pair whose private part is a sensitive, non-extractable, sign-only token object. */
        KeyPair generateKeyPair(SigningAlgorithm algorithm) throws Exception;

        /** Labels a generated private key and stores its certificate beside it (CKA_LABEL = CKA_ID = label). */
        void store(String label, PrivateKey key, X509Certificate certificate) throws Exception;

        /** Deletes the private key and the certificate with this label. */
        void delete(String label) throws Exception;

        /** Signs with a private key of this session; the signer is cheap to call many times and thread-safe. */
        Signer signer(PrivateKey key, SigningAlgorithm algorithm);

        /**
         * The AES key labelled {@code label}, made first (256 bits, a sensitive, never-extractable token object that
         * can only encrypt and decrypt) when missing and {@code create}; empty when missing.
         */
        default java.util.Optional<javax.crypto.SecretKey> secretKey(String label, boolean create) throws Exception {
            throw new UnsupportedOperationException("secret keys");
        }

        /** AES-GCM on the token with {@code key}: a fresh 12-byte IV followed by the ciphertext and tag. */
        default byte[] seal(javax.crypto.SecretKey key, byte[] plaintext) throws Exception {
            throw new UnsupportedOperationException("AES-GCM");
        }

        /** Reverses {@link #seal}; fails (AEADBadTagException) if the bytes were not sealed by this key. */
        default byte[] open(javax.crypto.SecretKey key, byte[] sealed) throws Exception {
            throw new UnsupportedOperationException("AES-GCM");
        }

        /** Closes the session's pooled sessions; may be called more than once and never throws. */
        void logout();
    }

    /** A private key on the token, as the key store shows it. */
    record Entry(String label, X509Certificate certificate, PrivateKey privateKey) {
    }

    /** Signs JWS signing inputs with one private key. */
    interface Signer {
        /** @return the JWS signature bytes (for ECDSA R‖S) */
        byte[] sign(byte[] input);
    }
}
