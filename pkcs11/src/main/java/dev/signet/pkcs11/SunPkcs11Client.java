package dev.signet.pkcs11;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;

import java.security.AuthProvider;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Lock;

/**
 * {@link TokenClient} over the JDK: SunPKCS11 (one provider instance and its PKCS11 KeyStore per login) for keys
 * and signatures, {@link Cryptoki} for finding tokens and re-initialising the library.
 *
 * <p>Every session operation holds the library's read lock and checks its generation, so none runs with handles
 * from before a re-initialisation (the library reuses handle numbers afterwards); re-initialisation takes the
 * write lock.
 */
final class SunPkcs11Client implements TokenClient {

    private static final int RSA_BITS = 2048;
    /**
     * Every session object SunPKCS11 made for us (the public half of each generated key pair, each AES key before it
     * was copied to the token), kept reachable for the life of the process. When such a key is collected, a JDK
     * cleaner destroys its object by handle number, outside our lock and without knowing the library was
     * re-initialised since; handles are reused after C_Initialize, so it would destroy whatever object holds that
     * number now (a signing key's certificate or private key) or close a live session. SunPKCS11 only skips the
     * cleanup for tokens in removable slots, and most HSMs (and SoftHSM2 here) report fixed ones. One small object
     * per key made.
     */
    private static final Queue<java.security.Key> SESSION_OBJECTS = new ConcurrentLinkedQueue<>();

    private final Cryptoki cryptoki;

    /**
     * @throws SignetException INVALID_ARGUMENT if the library cannot be loaded or the JVM lacks {@value Cryptoki#JVM_FLAG}
     */
    SunPkcs11Client(String library) {
        if (library.contains("\"") || library.contains("\n")) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "backend.library must be a plain path");
        }
        this.cryptoki = Cryptoki.forLibrary(library);
    }

    @Override
    public String library() {
        return cryptoki.library();
    }

    @Override
    public List<Token> tokens() throws Exception {
        return underReadLock(cryptoki::tokens);
    }

    @Override
    public Session login(Token token, char[] pin) throws Exception {
        return underReadLock(() -> {
            Provider provider = Security.getProvider("SunPKCS11").configure("--" + providerConfig(library(), token));
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            return new SunSession(token, provider, store, pin, cryptoki.generation());
        });
    }

    @Override
    public long generation() {
        return cryptoki.generation();
    }

    @Override
    public long reinitialize(long ifStillAt) throws Exception {
        Lock write = cryptoki.lock().writeLock();
        write.lock();
        try {
            if (cryptoki.generation() == ifStillAt) {
                cryptoki.reinitialize();
            }
            return cryptoki.generation();
        } finally {
            write.unlock();
        }
    }

    @Override
    public String toString() {
        return "SunPkcs11Client[" + library() + "]";
    }

    /**
     * The SunPKCS11 configuration. No PIN here: login happens through the KeyStore. Private keys are generated
     * as sensitive, never-extractable token objects that can only sign; public keys stay session objects
     * because the certificate carries the public key.
     */
    static String providerConfig(String library, Token token) {
        String slot = token.slot() <= Integer.MAX_VALUE
                ? "slot = " + token.slot()
                // SunPKCS11 parses slot ids as int; larger ids are addressed by position.
                : "slotListIndex = " + token.slotListIndex();
        return String.join("\n",
                "name = signet",
                "library = \"" + library + "\"",
                slot,
                "destroyTokenAfterLogout = true",
                "attributes(generate, CKO_PRIVATE_KEY, *) = {",
                "  CKA_TOKEN = true",
                "  CKA_PRIVATE = true",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "  CKA_SIGN = true",
                "  CKA_DECRYPT = false",
                "  CKA_UNWRAP = false",
                "}",
                "attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {",
                "  CKA_DERIVE = false",
                "}",
                "attributes(generate, CKO_PUBLIC_KEY, *) = {",
                "  CKA_TOKEN = false",
                "}",
                // Wrapping keys: encrypt and decrypt only, never readable.
                "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "  CKA_ENCRYPT = true",
                "  CKA_DECRYPT = true",
                "  CKA_WRAP = false",
                "  CKA_UNWRAP = false",
                "  CKA_SIGN = false",
                "  CKA_VERIFY = false",
                "}",
                "");
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private <T> T underReadLock(Call<T> call) throws Exception {
        Lock read = cryptoki.lock().readLock();
        read.lock();
        try {
            return call.run();
        } finally {
            read.unlock();
        }
    }

    /** One login through one SunPKCS11 provider instance. */
    private final class SunSession implements Session {

        private final Token token;
        private final Provider provider;
        private final KeyStore store;
        private final char[] pin;
        private final long generation;
        private final Queue<PooledSigner> signers = new ConcurrentLinkedQueue<>();

        SunSession(Token token, Provider provider, KeyStore store, char[] pin, long generation) {
            this.token = token;
            this.provider = provider;
            this.store = store;
            this.pin = pin.clone();
            this.generation = generation;
        }

        @Override
        public Token token() {
            return token;
        }

        @Override
        public long generation() {
            return generation;
        }

        @Override
        public List<Entry> entries() throws Exception {
            return current(() -> {
                synchronized (store) {
                    store.load(null, pin);
                    List<Entry> entries = new ArrayList<>();
                    for (String alias : Collections.list(store.aliases())) {
                        if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate cert
                                && store.getKey(alias, null) instanceof PrivateKey key) {
                            entries.add(new Entry(alias, cert, key));
                        }
                    }
                    return entries;
                }
            });
        }

        @Override
        public KeyPair generateKeyPair(SigningAlgorithm algorithm) throws Exception {
            return current(() -> {
                KeyPairGenerator g;
                if (algorithm == SigningAlgorithm.ES256) {
                    g = KeyPairGenerator.getInstance("EC", provider);
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                } else {
                    g = KeyPairGenerator.getInstance("RSA", provider);
                    g.initialize(RSA_BITS);
                }
                KeyPair pair = g.generateKeyPair();
                SESSION_OBJECTS.add(pair.getPublic()); // a session object: see SESSION_OBJECTS
                return pair;
            });
        }

        @Override
        public void store(String label, PrivateKey key, X509Certificate certificate) throws Exception {
            current(() -> {
                synchronized (store) {
                    // setKeyEntry gives the private key and the certificate CKA_ID = CKA_LABEL = label.
                    store.setKeyEntry(label, key, null, new Certificate[]{certificate});
                }
                return null;
            });
        }

        @Override
        public void delete(String label) throws Exception {
            current(() -> {
                synchronized (store) {
                    store.deleteEntry(label);
                }
                return null;
            });
        }

        @Override
        public java.util.Optional<javax.crypto.SecretKey> secretKey(String label, boolean create) throws Exception {
            return current(() -> {
                synchronized (store) {
                    store.load(null, pin); // another process may have made it
                    if (store.getKey(label, null) instanceof javax.crypto.SecretKey k) {
                        return java.util.Optional.of(k);
                    }
                    if (!create) {
                        return java.util.Optional.<javax.crypto.SecretKey>empty();
                    }
                    javax.crypto.KeyGenerator g = javax.crypto.KeyGenerator.getInstance("AES", provider);
                    g.init(256);
                    // A session object (see providerConfig and SESSION_OBJECTS); the key store copies it to the token
                    // under the label.
                    javax.crypto.SecretKey made = g.generateKey();
                    SESSION_OBJECTS.add(made);
                    store.setKeyEntry(label, made, null, null);
                    return java.util.Optional.of((javax.crypto.SecretKey) store.getKey(label, null));
                }
            });
        }

        @Override
        public byte[] seal(javax.crypto.SecretKey key, byte[] plaintext) throws Exception {
            return current(() -> {
                byte[] iv = new byte[12];
                new java.security.SecureRandom().nextBytes(iv);
                javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", provider);
                c.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, iv));
                byte[] sealed = c.doFinal(plaintext);
                byte[] out = java.util.Arrays.copyOf(iv, iv.length + sealed.length);
                System.arraycopy(sealed, 0, out, iv.length, sealed.length);
                return out;
            });
        }

        @Override
        public byte[] open(javax.crypto.SecretKey key, byte[] sealed) throws Exception {
            return current(() -> {
                javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", provider);
                c.init(javax.crypto.Cipher.DECRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, sealed, 0, 12));
                try {
                    return c.doFinal(sealed, 12, sealed.length - 12);
                } catch (java.security.GeneralSecurityException | java.security.ProviderException e) {
                    String ckr = TokenFaults.code(e);
                    if (e instanceof javax.crypto.AEADBadTagException || ckr.startsWith("CKR_ENCRYPTED_DATA")) {
                        // Bad input, not a failing token: without the cause, the backend does not degrade.
                        throw new javax.crypto.AEADBadTagException("not sealed by this key, or altered ("
                                + (ckr.isEmpty() ? e.getClass().getSimpleName() : ckr) + ")");
                    }
                    throw e;
                }
            });
        }

        @Override
        public Signer signer(PrivateKey key, SigningAlgorithm algorithm) {
            PooledSigner s = new PooledSigner(key, algorithm);
            signers.add(s);
            return s;
        }

        /** Logs out, which (with destroyTokenAfterLogout) closes the provider's pooled sessions. */
        @Override
        public void logout() {
            for (PooledSigner s : signers) {
                s.clearPool();
            }
            try {
                underReadLock(() -> {
                    ((AuthProvider) provider).logout();
                    return null;
                });
            } catch (Exception e) {
                // The token may be gone; its sessions die with the library re-initialisation.
            }
            Arrays.fill(pin, '\0');
        }

        /** Runs under the read lock, and only if the library has not been re-initialised since this login. */
        private <T> T current(Call<T> call) throws Exception {
            return underReadLock(() -> {
                checkGeneration();
                return call.run();
            });
        }

        /** The caller holds the read lock. */
        private void checkGeneration() {
            if (generation != cryptoki.generation()) {
                throw new TokenError("CKR_SESSION_HANDLE_INVALID", "the PKCS#11 library was re-initialised");
            }
        }

        /** Initialised {@link java.security.Signature}s of one key, pooled (they are costly to make). */
        private final class PooledSigner extends JcaSigningKey implements Signer {

            PooledSigner(PrivateKey key, SigningAlgorithm algorithm) {
                super("", algorithm, null, key, provider);
            }

            @Override
            public byte[] sign(byte[] input) {
                Lock read = cryptoki.lock().readLock();
                read.lock();
                try {
                    checkGeneration();
                    return super.sign(input);
                } finally {
                    read.unlock();
                }
            }

            @Override
            protected SignetException signingFailed(Exception e) {
                throw new SigningFailed(e);
            }
        }
    }

    /** Carries a provider's signing failure, unchanged, to {@link TokenFaults}. */
    static final class SigningFailed extends RuntimeException {
        SigningFailed(Exception cause) {
            super(cause);
        }
    }
}
