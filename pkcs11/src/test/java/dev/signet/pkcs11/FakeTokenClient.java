package dev.signet.pkcs11;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.testing.RsaKeyPairs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process PKCS#11 library for tests: tokens whose keys live in memory and sign with real JCA crypto, and the
 * faults a real token shows, injected on demand. Like SoftHSM2, a token that was removed and put back fails every
 * login with CKR_GENERAL_ERROR until the library is re-initialised; re-initialising invalidates every session.
 */
final class FakeTokenClient implements TokenClient {

    private final Map<String, FakeToken> tokens = new ConcurrentHashMap<>();
    private volatile long generation;
    final AtomicInteger reinitializations = new AtomicInteger();
    final AtomicInteger logins = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();

    private record Stored(X509Certificate certificate, PrivateKey privateKey) {
    }

    /** One token; its fields change under the client's lock. */
    private static final class FakeToken {
        final long slot;
        final String label;
        char[] pin;
        final Map<String, Stored> objects = new ConcurrentHashMap<>();
        final Set<String> hidden = ConcurrentHashMap.newKeySet();
        boolean present = true;
        boolean needsReinitialize;
        /** Sessions with a serial below this fail with {@link #failure} (written after it, read without a lock). */
        volatile long failBefore;
        volatile String failure;
        long nextSerial;

        FakeToken(long slot, String label, char[] pin) {
            this.slot = slot;
            this.label = label;
            this.pin = pin;
        }
    }

    /** Adds an empty, initialised token. */
    synchronized FakeTokenClient withToken(String label, String pin) {
        tokens.put(label, new FakeToken(tokens.size(), label, pin.toCharArray()));
        return this;
    }

    // --- faults --------------------------------------------------------------------------------------------

    /** The token goes away: its sessions fail with CKR_DEVICE_REMOVED, and it is not listed. */
    synchronized void remove(String label) {
        FakeToken t = token(label);
        t.present = false;
        t.needsReinitialize = true;
        failSessions(label, "CKR_DEVICE_REMOVED");
    }

    /** The token is back, usable once the library is re-initialised. */
    synchronized void putBack(String label) {
        token(label).present = true;
    }

    /** Every session open now fails with this error from now on (CKR_OBJECT_HANDLE_INVALID, CKR_SESSION_CLOSED…). */
    synchronized void failSessions(String label, String ckr) {
        FakeToken t = token(label);
        t.failure = ckr;
        t.failBefore = t.nextSerial;
    }

    /** The token is initialised again: every object is gone and every session fails. */
    synchronized void reinitializeToken(String label) {
        token(label).objects.clear();
        failSessions(label, "CKR_SESSION_HANDLE_INVALID");
    }

    synchronized void changePin(String label, String pin) {
        token(label).pin = pin.toCharArray();
    }

    /** The object is not listed (as if read while the token was coming back) until {@link #show}. */
    void hide(String label, String objectLabel) {
        token(label).hidden.add(objectLabel);
    }

    void show(String label, String objectLabel) {
        token(label).hidden.remove(objectLabel);
    }

    /** The certificate stored under a label, as another tool would read it. */
    X509Certificate certificate(String label, String objectLabel) {
        return token(label).objects.get(objectLabel).certificate();
    }

    // --- TokenClient ---------------------------------------------------------------------------------------

    @Override
    public String library() {
        return "/fake/libfake-pkcs11.so";
    }

    @Override
    public synchronized List<Token> tokens() {
        return tokens.values().stream().filter(t -> t.present)
                .map(t -> new Token(t.slot, (int) t.slot, t.label, 0)).toList();
    }

    @Override
    public synchronized Session login(Token token, char[] pin) {
        FakeToken t = token(token.label());
        logins.incrementAndGet();
        if (!t.present) {
            throw new TokenError("CKR_TOKEN_NOT_PRESENT", "no token in slot " + t.slot);
        }
        if (t.needsReinitialize) {
            throw new TokenError("CKR_GENERAL_ERROR", "the token's files changed under the library");
        }
        if (!Arrays.equals(pin, t.pin)) {
            throw new TokenError("CKR_PIN_INCORRECT", "login refused");
        }
        return new FakeSession(this, t, token, t.nextSerial++, generation, new AtomicBoolean());
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public synchronized long reinitialize(long ifStillAt) {
        if (generation == ifStillAt) {
            generation++;
            reinitializations.incrementAndGet();
            for (FakeToken t : tokens.values()) {
                t.needsReinitialize = t.needsReinitialize && !t.present;
            }
        }
        return generation;
    }

    /** Each fake hands out the JVM's shared RSA pairs in order, so its kids stay distinct. */
    private int rsaHandedOut;

    private synchronized KeyPair rsaKeyPair() {
        return RsaKeyPairs.get(rsaHandedOut++);
    }

    private FakeToken token(String label) {
        FakeToken t = tokens.get(label);
        if (t == null) {
            throw new IllegalArgumentException("no fake token " + label);
        }
        return t;
    }

    /** A login; its {@code serial} orders it against injected faults. */
    private record FakeSession(FakeTokenClient client, FakeToken fakeToken, Token token, long serial, long generation,
                               AtomicBoolean loggedOut) implements Session {

        private void check() {
            // No lock: signers call this on every signature, and the fault state is volatile.
            if (generation != client.generation) {
                throw new TokenError("CKR_SESSION_HANDLE_INVALID", "the library was re-initialised");
            }
            if (serial < fakeToken.failBefore) {
                throw new TokenError(fakeToken.failure, "injected");
            }
            if (loggedOut.get()) {
                throw new TokenError("CKR_SESSION_CLOSED", "logged out");
            }
        }

        @Override
        public List<Entry> entries() {
            check();
            client.reads.incrementAndGet();
            List<Entry> entries = new ArrayList<>();
            fakeToken.objects.forEach((label, o) -> {
                if (!fakeToken.hidden.contains(label)) {
                    entries.add(new Entry(label, o.certificate(), o.privateKey()));
                }
            });
            return entries;
        }

        @Override
        public KeyPair generateKeyPair(SigningAlgorithm algorithm) throws GeneralSecurityException {
            check();
            if (algorithm == SigningAlgorithm.ES256) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                return g.generateKeyPair();
            }
            return client.rsaKeyPair();
        }

        @Override
        public void store(String label, PrivateKey key, X509Certificate certificate) {
            check();
            fakeToken.objects.put(label, new Stored(certificate, key));
        }

        @Override
        public void delete(String label) {
            check();
            fakeToken.objects.remove(label);
        }

        @Override
        public Signer signer(PrivateKey key, SigningAlgorithm algorithm) {
            JcaSigningKey jca = new JcaSigningKey("", algorithm, null, key, null);
            return input -> {
                check();
                return jca.sign(input);
            };
        }

        @Override
        public void logout() {
            loggedOut.set(true);
        }
    }
}
