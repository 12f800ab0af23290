package dev.signet.pkcs11;

import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Keys on a PKCS#11 token: the {@link KeyBackend} over a {@link TokenClient}. Keys are generated on the token as
 * sensitive, non-extractable token objects and sign there; each is stored as a {@link KeyEntry} (label = kid,
 * certificate naming the algorithm and this issuer). Only this issuer's keys are seen: {@link #list()} is what
 * rotation consults to tell whether the issuer already has keys.
 *
 * <p>The token is found by its label each time the backend connects, since slot ids change when tokens are
 * (re-)initialised. When the token fails the backend is {@linkplain #degraded() degraded}, callers get UNAVAILABLE
 * with a retry hint and a generic message (the detail is logged and shown in {@code degraded()}), and
 * {@link Recovery} re-initialises the library, logs in again and re-reads the keys until it succeeds. A kid is only
 * ever served by the key whose public key hashes to it; a key that is gone after recovery is NOT_FOUND and never
 * replaced by another. There is no software fallback.
 *
 * <p>Needs the JVM flag {@value Cryptoki#JVM_FLAG}.
 */
public final class Pkcs11KeyBackend implements KeyBackend {

    private static final System.Logger LOG = System.getLogger(Pkcs11KeyBackend.class.getName());
    private static final Set<SigningAlgorithm> ALGORITHMS =
            Collections.unmodifiableSet(EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.PS256, SigningAlgorithm.RS256));
    /** Sessions kept free for key generation and keystore reads when the token limits sessions. */
    private static final int RESERVED_SESSIONS = 2;
    private static final Duration SESSION_WAIT = Duration.ofSeconds(5);

    /**
     * @param retryInitial   first wait before a reconnection attempt after a fault; doubled up to {@code retryMax}
     * @param signingThreads platform threads making signing calls for virtual threads (the number of concurrent
     *                       sessions worth using for a network HSM), or 0 to sign on the calling thread
     */
    public record Options(Duration retryInitial, Duration retryMax, int signingThreads) {

        public static Options defaults() {
            return new Options(Duration.ofMillis(500), Duration.ofSeconds(30), 0);
        }
    }

    private final TokenClient client;
    private final String tokenLabel;
    private final String issuer;
    private final char[] pin;
    private final Clock clock;
    private final Duration retryInitial;
    private final SigningThreads signingThreads;
    private final Recovery<Connection> recovery;
    /** Stable handles by kid, so callers holding a key keep working across reconnects. */
    private final Map<String, Pkcs11SigningKey> handles = new ConcurrentHashMap<>();
    /** The library generation this backend last connected in or re-initialised. */
    private volatile long seenGeneration;
    private Instant lastReread;
    /**
     * Kids a caller tried to sign with that are no longer on the token (deleted, or the token re-initialised): the
     * backend reports itself degraded until another key signs, the key comes back, or it is destroyed.
     */
    private final Set<String> lost = ConcurrentHashMap.newKeySet();

    /** One login to the token with this issuer's keys on it; replaced whole on recovery. */
    private record Connection(TokenClient.Session session, Map<String, TokenKey> keys, Semaphore sessions) {
    }

    /**
     * Connects to the token labelled {@code tokenLabel} in a PKCS#11 library and logs in.
     *
     * @param library path of the PKCS#11 module (.so)
     * @param pin     the user PIN; copied, never logged or shown
     * @param issuer  the issuer whose keys this backend makes and sees
     * @throws SignetException INVALID_ARGUMENT if the library cannot be loaded, no or several tokens carry the label,
     *                         the PIN is refused or an option is out of range (so a bad configuration fails at
     *                         start-up); UNAVAILABLE if the token cannot be reached
     */
    public Pkcs11KeyBackend(String library, String tokenLabel, char[] pin, String issuer, Clock clock, Options options) {
        this(new SunPkcs11Client(library), Scheduler.thread("pkcs11-recovery[" + tokenLabel + "]"), tokenLabel, pin,
                issuer, clock, options);
    }

    /** Over any client; reconnection attempts run on {@code scheduler}, which the backend closes. */
    Pkcs11KeyBackend(TokenClient client, Scheduler scheduler, String tokenLabel, char[] pin, String issuer, Clock clock,
                     Options options) {
        SigningThreads threads = null;
        char[] pinCopy = pin.clone();
        try {
            if (tokenLabel.isBlank()) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "backend.token-label must not be blank");
            }
            if (issuer == null || issuer.isBlank()) {
                // Every key records its issuer; without one, keys could not be told apart from other issuers'.
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "the pkcs11 backend needs signet.issuer");
            }
            threads = new SigningThreads(options.signingThreads(), "pkcs11-sign[" + tokenLabel + "]", SESSION_WAIT);
            this.client = client;
            this.tokenLabel = tokenLabel;
            this.issuer = issuer;
            this.pin = pinCopy;
            this.clock = clock;
            this.retryInitial = options.retryInitial();
            this.signingThreads = threads;
            this.recovery = new Recovery<>("token " + tokenLabel, connectAtStart(), clock, scheduler,
                    options.retryInitial(), options.retryMax(), new Reconnect());
        } catch (RuntimeException e) {
            scheduler.close();
            if (threads != null) {
                threads.close();
            }
            Arrays.fill(pinCopy, '\0');
            throw e;
        }
    }

    @Override
    public String type() {
        return "pkcs11";
    }

    @Override
    public boolean hardwareProtected() {
        return true;
    }

    /** ES256, PS256 and RS256; SunPKCS11 cannot do EdDSA. */
    @Override
    public Set<SigningAlgorithm> algorithms() {
        return ALGORITHMS;
    }

    /**
     * Generates a key pair on the token and stores it with its certificate, which names this issuer.
     *
     * @throws SignetException INVALID_ARGUMENT for EdDSA or another algorithm outside {@link #algorithms()};
     *                         UNAVAILABLE while the token is failing or recovering
     */
    @Override
    public SigningKey generate(SigningAlgorithm algorithm) {
        if (!ALGORITHMS.contains(algorithm)) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, algorithm.name()
                    + " is not supported by the pkcs11 backend: the JDK's SunPKCS11 provider cannot generate or sign "
                    + "with Ed25519 keys; use one of " + ALGORITHMS);
        }
        return onToken(c -> {
            TokenClient.Session session = c.session();
            KeyPair pair = session.generateKeyPair(algorithm);
            String kid = Jwks.thumbprint(pair.getPublic(), algorithm);
            TokenClient.Signer signer = session.signer(pair.getPrivate(), algorithm);
            X509Certificate cert = KeyEntry.certificate(pair.getPublic(), algorithm, KeyEntry.subject(algorithm, issuer),
                    signer, clock.instant());
            synchronized (c) {
                session.store(kid, pair.getPrivate(), cert);
                TokenKey live = session.entries().stream().filter(e -> e.label().equals(kid)).findFirst()
                        .flatMap(e -> live(session, e)).orElseThrow(() -> new SignetException(
                                SignetException.Code.INTERNAL, "key " + kid + " was stored on token " + tokenLabel
                                + " but cannot be read back"));
                c.keys().put(kid, live);
                return handle(live);
            }
        });
    }

    /**
     * An AES-256 key labelled {@code name} on the token (made when missing and {@code create}: sensitive, never
     * extractable, encrypt/decrypt only); wrapping is AES-GCM on the token (C_Encrypt/C_Decrypt), so the key
     * never leaves it.
     *
     * @throws SignetException NOT_FOUND if the token has no such key and not {@code create}; UNAVAILABLE while the
     *                         token is unreachable
     */
    @Override
    public dev.signet.spi.WrappingKey wrappingKey(String name, boolean create) {
        onToken(c -> c.session().secretKey(name, create)).orElseThrow(() -> new SignetException(
                SignetException.Code.NOT_FOUND, "token " + tokenLabel + " has no AES key labelled " + name
                + " (signet.delegation.wrapping-key)"));
        return new dev.signet.spi.WrappingKey() {
            public String id() {
                return name;
            }

            /** Looked up per call: after a recovery the session, and the key's handle, are new. */
            private javax.crypto.SecretKey key(Connection c) throws Exception {
                return c.session().secretKey(name, false).orElseThrow(() -> new SignetException(
                        SignetException.Code.NOT_FOUND, "token " + tokenLabel + " no longer has the AES key " + name));
            }

            public byte[] wrap(byte[] plaintext) {
                return onToken(c -> c.session().seal(key(c), plaintext));
            }

            public byte[] unwrap(byte[] wrapped) {
                try {
                    return onToken(c -> c.session().open(key(c), wrapped));
                } catch (SignetException e) {
                    if (e.getCause() instanceof javax.crypto.AEADBadTagException
                            || e.getCause() instanceof java.security.GeneralSecurityException && e.code() == SignetException.Code.INTERNAL) {
                        throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "not wrapped by " + name
                                + " on token " + tokenLabel + ", or altered", e);
                    }
                    throw e;
                }
            }

            @Override
            public String toString() {
                return "Pkcs11WrappingKey[" + tokenLabel + "/" + name + "]";
            }
        };
    }

    /**
     * While degraded, returns the handles known before the fault (signing with them is UNAVAILABLE until recovery).
     *
     * @throws SignetException NOT_FOUND if the token has no such key of this issuer; UNAVAILABLE while degraded and
     *                         the kid was not known before the fault
     */
    @Override
    public SigningKey get(String id) {
        Connection c = recovery.current();
        if (c != null) {
            TokenKey live = c.keys().get(id);
            if (live == null) {
                throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + id + " of this issuer on token "
                        + tokenLabel);
            }
            return handle(live);
        }
        Connection failed = recovery.failed();
        TokenKey known = failed == null ? null : failed.keys().get(id);
        if (known == null) {
            throw unavailable();
        }
        return handle(known);
    }

    /**
     * This issuer's keys on the token, including keys from before issuers were recorded (see {@link KeyEntry});
     * while degraded, the keys known before the fault. Other issuers' keys on the same token are not listed.
     */
    @Override
    public List<SigningKey> list() {
        Connection c = recovery.current();
        if (c == null) {
            c = recovery.failed();
        }
        return c == null ? List.of() : c.keys().values().stream().<SigningKey>map(this::handle).toList();
    }

    /**
     * Deletes the key and its certificate from the token.
     *
     * @throws SignetException NOT_FOUND if the token has no such key of this issuer; UNAVAILABLE while degraded
     */
    @Override
    public void destroy(String id) {
        // Revoking a lost key ends in a destroy that finds nothing: the operator has acted.
        lost.remove(id);
        onToken(c -> {
            synchronized (c) {
                if (!c.keys().containsKey(id)) {
                    throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + id + " of this issuer on token "
                            + tokenLabel);
                }
                c.session().delete(id);
                c.keys().remove(id);
                handles.remove(id);
                return null;
            }
        });
    }

    /**
     * The reason and the next attempt's time while the token fails, or the signing keys that are gone from it; names
     * the token, the PKCS#11 error and kids, never the library or the PIN.
     */
    @Override
    public Optional<String> degraded() {
        Optional<String> token = recovery.degraded();
        if (token.isPresent() || lost.isEmpty()) {
            return token;
        }
        return Optional.of("signing key " + String.join(", ", lost) + " is no longer on token " + tokenLabel
                + " (deleted, or the token re-initialised); revoke it to sign with a new key");
    }

    /** OPEN while the token session is lost and being re-established: calls fail fast with a retry hint. */
    @Override
    public Circuit circuit() {
        return recovery.degraded().isPresent() ? Circuit.OPEN : Circuit.CLOSED;
    }

    @Override
    public void close() {
        recovery.close();
        signingThreads.close();
        Arrays.fill(pin, '\0');
    }

    @Override
    public String toString() {
        return "Pkcs11KeyBackend[" + client.library() + ", token " + tokenLabel + "]";
    }

    /**
     * The token's handle on a key's private part, for tests that check what the token reveals of it.
     * It holds no key material.
     */
    PrivateKey tokenPrivateKey(String kid) {
        return onToken(c -> {
            TokenKey live = c.keys().get(kid);
            if (live == null) {
                throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + kid);
            }
            return live.privateKey();
        });
    }

    // --- signing -------------------------------------------------------------------------------------------

    /** Signs with the key that has this kid in the current connection. */
    byte[] sign(String kid, byte[] input) {
        return signingThreads.run(() -> signOnToken(kid, input));
    }

    private byte[] signOnToken(String kid, byte[] input) {
        return onToken(c -> {
            TokenKey live = c.keys().get(kid);
            if (live == null) {
                live = reread(c, kid);
            }
            if (live == null) {
                if (lost.add(kid)) {
                    LOG.log(System.Logger.Level.ERROR, "signing key {0} is no longer on token {1}; revoke it", kid,
                            tokenLabel);
                }
                throw TokenFaults.unavailable(recovery.retryAfter(),
                        new NoSuchElementException("key " + kid + " is no longer on token " + tokenLabel));
            }
            if (!c.sessions().tryAcquire(SESSION_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, TokenFaults.BUSY, Duration.ofSeconds(1),
                        new IllegalStateException("all sessions of token " + tokenLabel + " are busy"));
            }
            try {
                byte[] signature = live.sign(input);
                if (!lost.isEmpty()) {
                    // A key signs again (a new one after the revocation, or the lost one back): ready again.
                    lost.clear();
                }
                return signature;
            } finally {
                c.sessions().release();
            }
        });
    }

    /**
     * A key this backend signed with is missing from the current connection: the token may have been read while
     * it was coming back. Re-reads the token's key list, at most once per initial backoff, and returns the key
     * if it is there now (only ever the key whose public key hashes to the kid).
     */
    private TokenKey reread(Connection c, String kid) throws Exception {
        synchronized (c) {
            Instant now = clock.instant();
            if (lastReread != null && now.isBefore(lastReread.plus(retryInitial))) {
                return c.keys().get(kid);
            }
            lastReread = now;
            for (TokenClient.Entry e : c.session().entries()) {
                if (!c.keys().containsKey(e.label())) {
                    live(c.session(), e).ifPresent(k -> c.keys().put(k.id(), k));
                }
            }
            return c.keys().get(kid);
        }
    }

    private interface TokenOperation<T> {
        T run(Connection c) throws Exception;
    }

    /** Runs a token operation; a token failure degrades the backend and becomes UNAVAILABLE. */
    private <T> T onToken(TokenOperation<T> op) {
        Connection c = recovery.current();
        if (c == null) {
            throw unavailable();
        }
        try {
            return op.run(c);
        } catch (SignetException e) {
            // Certificates reports a failing token as INTERNAL.
            if (e.code() == SignetException.Code.INTERNAL && TokenFaults.isTokenFailure(e)) {
                throw fault(c, e);
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted", Duration.ofSeconds(1), e);
        } catch (Exception e) {
            if (TokenFaults.isTokenFailure(e)) {
                throw fault(c, e);
            }
            throw new SignetException(SignetException.Code.INTERNAL, "PKCS#11 operation on token " + tokenLabel
                    + " failed: " + TokenFaults.describe(e), e);
        }
    }

    private SignetException fault(Connection c, Exception e) {
        recovery.fault(c, TokenFaults.describe(e));
        return TokenFaults.unavailable(recovery.retryAfter(), e);
    }

    private SignetException unavailable() {
        return TokenFaults.unavailable(recovery.retryAfter(), null);
    }

    // --- connecting ----------------------------------------------------------------------------------------

    /** The first connection; every failure here is a configuration error or an unreachable token. */
    private Connection connectAtStart() {
        try {
            seenGeneration = client.generation();
            try {
                return connect();
            } catch (TokenNotFound e) {
                // The token may have been initialised after this process loaded the library.
                seenGeneration = client.reinitialize(seenGeneration);
                return connect();
            }
        } catch (TokenNotFound e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, e.getMessage() + " in " + client.library());
        } catch (SignetException e) {
            throw e;
        } catch (Exception e) {
            if (TokenFaults.pinRefused(e)) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "token " + tokenLabel
                        + " refused the PIN (" + TokenFaults.code(e) + ")");
            }
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot open token " + tokenLabel + " in "
                    + client.library() + ": " + TokenFaults.describe(e), retryInitial, e);
        }
    }

    /** Finds the token by label, logs in and reads this issuer's keys. */
    private Connection connect() throws Exception {
        List<TokenClient.Token> matches = client.tokens().stream().filter(t -> t.label().equals(tokenLabel)).toList();
        if (matches.isEmpty()) {
            throw new TokenNotFound("no token labelled '" + tokenLabel + "'");
        }
        if (matches.size() > 1) {
            // Picking one would risk signing with another token's keys.
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, matches.size() + " tokens are labelled '"
                    + tokenLabel + "'; labels must be unique");
        }
        TokenClient.Token token = matches.getFirst();
        TokenClient.Session session = client.login(token, pin);
        try {
            Map<String, TokenKey> keys = new ConcurrentHashMap<>();
            int others = 0;
            for (TokenClient.Entry e : session.entries()) {
                Optional<TokenKey> live = live(session, e);
                live.ifPresent(k -> keys.put(k.id(), k));
                others += live.isEmpty() && KeyEntry.read(e.label(), e.certificate()).isPresent() ? 1 : 0;
            }
            if (others > 0) {
                LOG.log(System.Logger.Level.INFO, "token {0}: {1} keys of other issuers left alone", tokenLabel, others);
            }
            int limit = token.sessionLimit();
            Semaphore sessions = new Semaphore(limit == Integer.MAX_VALUE ? Integer.MAX_VALUE
                    : Math.max(1, limit - RESERVED_SESSIONS));
            return new Connection(session, keys, sessions);
        } catch (Exception e) {
            session.logout();
            throw e;
        }
    }

    /** How {@link Recovery} reconnects: release the failed login, re-initialise the library, connect again. */
    private final class Reconnect implements Recovery.Connector<Connection> {

        @Override
        public Connection reconnect(Connection failed) throws Exception {
            release(failed);
            seenGeneration = client.reinitialize(seenGeneration);
            Connection c = connect();
            // Handles of keys that did not come back stay unusable; get() no longer finds them.
            handles.keySet().retainAll(c.keys().keySet());
            LOG.log(System.Logger.Level.INFO, "token {0}: {1} keys after reconnecting", tokenLabel, c.keys().size());
            return c;
        }

        @Override
        public void release(Connection c) {
            if (c != null) {
                c.session().logout();
            }
        }

        /** A refused PIN: retrying would lock the token. */
        @Override
        public boolean permanent(Exception e) {
            return TokenFaults.pinRefused(e);
        }

        @Override
        public String describe(Exception e) {
            if (e instanceof TokenNotFound || e instanceof SignetException) {
                return e.getMessage();
            }
            return TokenFaults.pinRefused(e) ? "the token refused the PIN (" + TokenFaults.code(e) + ")"
                    : TokenFaults.describe(e);
        }
    }

    /** This issuer's Signet key in a token entry, ready to sign; empty for anything else. */
    private Optional<TokenKey> live(TokenClient.Session session, TokenClient.Entry e) {
        return KeyEntry.read(e.label(), e.certificate()).filter(k -> k.belongsTo(issuer))
                .map(k -> new TokenKey(k, e.privateKey(), session.signer(e.privateKey(), k.algorithm())));
    }

    private Pkcs11SigningKey handle(TokenKey live) {
        return handles.computeIfAbsent(live.id(), id -> new Pkcs11SigningKey(this, id, live.entry().algorithm(),
                live.entry().publicKey()));
    }

    private static final class TokenNotFound extends Exception {
        TokenNotFound(String message) {
            super(message);
        }
    }
}
