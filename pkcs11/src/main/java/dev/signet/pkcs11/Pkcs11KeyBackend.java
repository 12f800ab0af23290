package dev.signet.pkcs11;

import dev.signet.spi.Certificates;
import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.io.IOException;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

/**
 * Keys on a PKCS#11 token through the JDK's SunPKCS11 provider. Keys are generated on the token as
 * sensitive, non-extractable token objects and sign there; each is stored with a self-signed certificate
 * (signed on the token) whose CKA_LABEL and CKA_ID are the kid and whose subject records the JWS algorithm.
 *
 * <p>The token is found by its label each time the backend connects, since slot ids change when tokens are
 * (re-)initialised. When the token fails (session or handle invalid, device error, token removed or
 * re-initialised) the backend becomes {@linkplain #degraded() degraded}, callers get UNAVAILABLE with a retry
 * hint, and a background task re-initialises the library, logs in again and re-reads the keys, with exponential
 * backoff, until it succeeds. A kid is only ever served by the key whose public key hashes to it; a key that is
 * gone after recovery is NOT_FOUND and never replaced by another. There is no software fallback.
 *
 * <p>Needs the JVM flag {@value Cryptoki#JVM_FLAG}.
 */
public final class Pkcs11KeyBackend implements KeyBackend {

    private static final System.Logger LOG = System.getLogger(Pkcs11KeyBackend.class.getName());
    static final String ALGORITHM_CN_PREFIX = "signet-alg-";
    private static final Set<SigningAlgorithm> ALGORITHMS =
            Collections.unmodifiableSet(EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.PS256, SigningAlgorithm.RS256));
    private static final Duration CERT_VALIDITY = Duration.ofDays(3650);
    private static final int RSA_BITS = 2048;
    /** Sessions kept free for key generation and keystore reads when the token limits sessions. */
    private static final int RESERVED_SESSIONS = 2;
    private static final Duration SESSION_WAIT = Duration.ofSeconds(5);

    private final Cryptoki cryptoki;
    private final String tokenLabel;
    private final char[] pin;
    private final Clock clock;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final ScheduledExecutorService recovery;
    /**
     * Platform threads that make the PKCS#11 calls for virtual request threads, or null to sign on the calling
     * thread. A virtual thread in a native call pins its carrier (one per CPU), so with a network HSM's latency a
     * few slow calls would stall every other request; for a token in this process the hand-off only costs.
     */
    private final ExecutorService signers;
    /** Stable handles by kid, so callers holding a key keep working across reconnects. */
    private final Map<String, Pkcs11SigningKey> handles = new ConcurrentHashMap<>();

    /** The live connection, or null while degraded; read without locking on the signing path. */
    private volatile Connection connection;
    private Instant lastReread;
    // Guarded by this.
    private Connection retired;
    private Map<String, Pkcs11SigningKey> lastKnown = Map.of();
    private String degradedReason;
    private Duration backoff;
    private Instant nextAttempt;
    private boolean recovering;
    private boolean closed;

    /** One login to the token through one provider instance; replaced whole on recovery. */
    private record Connection(Provider provider, KeyStore store, long generation, Cryptoki.Token token,
                              Map<String, LiveKey> keys, Semaphore sessions) {
    }

    /**
     * Connects to the token labelled {@code tokenLabel} and logs in.
     *
     * @param library        path of the PKCS#11 module (.so)
     * @param pin            the user PIN; copied, never logged or shown
     * @param initialBackoff first wait before a reconnection attempt after a fault; doubled up to {@code maxBackoff}
     * @throws SignetException INVALID_ARGUMENT if the library cannot be loaded, no or several tokens carry the label,
     *                         or the PIN is refused (so a bad configuration fails at start-up);
     *                         UNAVAILABLE if the token cannot be reached
     */
    public Pkcs11KeyBackend(String library, String tokenLabel, char[] pin, Clock clock,
                            Duration initialBackoff, Duration maxBackoff) {
        this(library, tokenLabel, pin, clock, initialBackoff, maxBackoff, 0);
    }

    /**
     * @param signingThreads platform threads making signing calls for virtual threads (the number of concurrent
     *                       sessions worth using for a network HSM), or 0 to sign on the calling thread
     */
    public Pkcs11KeyBackend(String library, String tokenLabel, char[] pin, Clock clock,
                            Duration initialBackoff, Duration maxBackoff, int signingThreads) {
        if (signingThreads < 0) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "backend.signing-threads must not be negative");
        }
        if (library.contains("\"") || library.contains("\n") || tokenLabel.isBlank()) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "backend.library must be a plain path and backend.token-label must not be blank");
        }
        this.cryptoki = Cryptoki.forLibrary(library);
        this.tokenLabel = tokenLabel;
        this.pin = pin.clone();
        this.clock = clock;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.backoff = initialBackoff;
        this.recovery = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pkcs11-recovery[" + tokenLabel + "]");
            t.setDaemon(true);
            return t;
        });
        this.signers = signingThreads == 0 ? null : Executors.newFixedThreadPool(signingThreads,
                Thread.ofPlatform().daemon().name("pkcs11-sign[" + tokenLabel + "]-", 0).factory());
        try {
            Connection c;
            try {
                c = connect(false);
            } catch (TokenNotFound e) {
                // The token may have been initialised after this process loaded the library.
                c = connect(true);
            }
            synchronized (this) {
                install(c);
            }
        } catch (SignetException e) {
            recovery.shutdownNow();
            if (signers != null) {
                signers.shutdownNow();
            }
            throw e;
        } catch (TokenNotFound e) {
            recovery.shutdownNow();
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, e.getMessage());
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
     * Generates a key pair on the token and stores it with its certificate.
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
            KeyPair pair = newKeyPair(algorithm, c.provider());
            String kid = Jwks.thumbprint(pair.getPublic(), algorithm);
            X509Certificate cert = Certificates.selfSigned(pair.getPublic(), pair.getPrivate(), c.provider(), algorithm,
                    ALGORITHM_CN_PREFIX + algorithm.name(), clock.instant(), CERT_VALIDITY);
            synchronized (this) {
                // setKeyEntry gives the private key and the certificate CKA_ID = CKA_LABEL = kid.
                c.store().setKeyEntry(kid, pair.getPrivate(), null, new Certificate[]{cert});
                LiveKey live = load(c.store(), kid);
                if (live == null) {
                    throw new SignetException(SignetException.Code.INTERNAL, "key " + kid + " was stored on token "
                            + tokenLabel + " but cannot be read back");
                }
                c.keys().put(kid, live);
                return handle(live);
            }
        });
    }

    /**
     * While degraded, returns the handles known before the fault (signing with them is UNAVAILABLE until recovery).
     *
     * @throws SignetException NOT_FOUND if the token has no such Signet key; UNAVAILABLE while degraded and the
     *                         kid was not known before the fault
     */
    @Override
    public synchronized SigningKey get(String id) {
        if (connection != null) {
            LiveKey live = connection.keys().get(id);
            if (live == null) {
                throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + id + " on token " + tokenLabel);
            }
            return handle(live);
        }
        Pkcs11SigningKey known = lastKnown.get(id);
        if (known == null) {
            throw unavailable();
        }
        return known;
    }

    /** The Signet keys on the token; while degraded, the keys known before the fault. */
    @Override
    public synchronized List<SigningKey> list() {
        if (connection != null) {
            return connection.keys().values().stream().<SigningKey>map(this::handle).toList();
        }
        return List.copyOf(lastKnown.values());
    }

    /**
     * Deletes the key and its certificate from the token.
     *
     * @throws SignetException NOT_FOUND if the token has no such key; UNAVAILABLE while degraded
     */
    @Override
    public void destroy(String id) {
        onToken(c -> {
            synchronized (this) {
                if (!c.keys().containsKey(id)) {
                    throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + id + " on token " + tokenLabel);
                }
                c.store().deleteEntry(id);
                c.keys().remove(id);
                handles.remove(id);
                return null;
            }
        });
    }

    @Override
    public synchronized Optional<String> degraded() {
        if (connection != null) {
            return Optional.empty();
        }
        return Optional.of(degradedReason + (nextAttempt == null ? "" : "; next attempt at " + nextAttempt));
    }

    @Override
    public void close() {
        Connection c;
        Connection r;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = connection;
            r = retired;
            connection = null;
            retired = null;
            degradedReason = "closed";
        }
        recovery.shutdownNow();
        if (signers != null) {
            signers.shutdownNow();
        }
        Lock read = cryptoki.lock().readLock();
        read.lock();
        try {
            logout(c);
            logout(r);
        } finally {
            read.unlock();
        }
        java.util.Arrays.fill(pin, '\0');
    }

    @Override
    public String toString() {
        return "Pkcs11KeyBackend[" + cryptoki.library() + ", token " + tokenLabel + "]";
    }

    /**
     * The token's handle on a key's private part, for tests that check what the token reveals of it.
     * It holds no key material.
     */
    PrivateKey tokenPrivateKey(String kid) {
        return onToken(c -> {
            LiveKey live = c.keys().get(kid);
            if (live == null) {
                throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + kid);
            }
            return live.handle();
        });
    }

    // --- signing -------------------------------------------------------------------------------------------

    /**
     * Signs with the key that has this kid in the current connection, holding the library's read lock so the
     * library cannot be re-initialised (and handles reused) mid-signature.
     */
    byte[] sign(String kid, byte[] input) {
        if (signers == null || !Thread.currentThread().isVirtual()) {
            return signOnToken(kid, input);
        }
        Future<byte[]> f;
        try {
            f = signers.submit(() -> signOnToken(kid, input));
        } catch (RejectedExecutionException e) {
            throw unavailable();
        }
        try {
            return f.get(SESSION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new SignetException(SignetException.Code.INTERNAL, "signing failed", e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new SignetException(SignetException.Code.UNAVAILABLE, "token " + tokenLabel + " is busy: no signing"
                    + " thread free within " + SESSION_WAIT.toSeconds() + " s", Duration.ofSeconds(1), null);
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted", Duration.ofSeconds(1), e);
        }
    }

    private byte[] signOnToken(String kid, byte[] input) {
        return onToken(c -> {
            LiveKey live = c.keys().get(kid);
            if (live == null) {
                live = reread(c, kid);
            }
            if (live == null) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "key " + kid + " is no longer on token "
                        + tokenLabel, backoffHint(), null);
            }
            if (!c.sessions().tryAcquire(SESSION_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "all sessions of token " + tokenLabel
                        + " are busy", Duration.ofSeconds(1), null);
            }
            try {
                return live.sign(input);
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
    private LiveKey reread(Connection c, String kid) throws Exception {
        synchronized (c) {
            Instant now = clock.instant();
            if (lastReread != null && now.isBefore(lastReread.plus(initialBackoff))) {
                return c.keys().get(kid);
            }
            lastReread = now;
            c.store().load(null, pin);
            for (String alias : Collections.list(c.store().aliases())) {
                LiveKey key = load(c.store(), alias);
                if (key != null) {
                    c.keys().putIfAbsent(key.id(), key);
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
        Connection c = connection;
        if (c == null) {
            throw unavailable();
        }
        Lock read = cryptoki.lock().readLock();
        read.lock();
        try {
            if (c.generation() != cryptoki.generation()) {
                throw fault(c, "the PKCS#11 library was re-initialised", null);
            }
            return op.run(c);
        } catch (TokenFault e) {
            throw classify(c, e.getCause());
        } catch (SignetException e) {
            // Certificates.selfSigned reports a failing token as INTERNAL.
            if (e.code() == SignetException.Code.INTERNAL && e.getCause() != null && isTokenFailure(e.getCause())) {
                throw fault(c, Cryptoki.describe(e.getCause()), e.getCause());
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted", Duration.ofSeconds(1), e);
        } catch (Exception e) {
            throw classify(c, e);
        } finally {
            read.unlock();
        }
    }

    private SignetException classify(Connection c, Throwable e) {
        if (isTokenFailure(e)) {
            return fault(c, Cryptoki.describe(e), e);
        }
        return new SignetException(SignetException.Code.INTERNAL, "PKCS#11 operation on token " + tokenLabel
                + " failed: " + Cryptoki.describe(e), e);
    }

    /**
     * PKCS#11 errors and SunPKCS11's ProviderException (how it reports lost sessions and tokens) are token
     * failures; anything else is a bug and stays INTERNAL.
     */
    static boolean isTokenFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.ProviderException || !Cryptoki.pkcs11Error(t).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Marks the backend degraded (once per connection) and schedules recovery; returns the caller's error. */
    private synchronized SignetException fault(Connection c, String reason, Throwable cause) {
        if (connection == c && !closed) {
            connection = null;
            retired = c;
            lastKnown = Map.copyOf(new LinkedHashMap<>(handlesOf(c)));
            degradedReason = "token " + tokenLabel + " failed at " + clock.instant() + ": " + reason;
            backoff = initialBackoff;
            LOG.log(System.Logger.Level.WARNING, "PKCS#11 backend degraded: {0}; reconnecting", degradedReason);
            schedule(Duration.ZERO);
        }
        return new SignetException(SignetException.Code.UNAVAILABLE, "token " + tokenLabel + " is unavailable: "
                + reason, backoffHint(), cause);
    }

    private SignetException unavailable() {
        String reason;
        synchronized (this) {
            reason = closed ? "the backend is closed" : degradedReason;
        }
        return new SignetException(SignetException.Code.UNAVAILABLE, "token " + tokenLabel + " is unavailable: "
                + reason, backoffHint(), null);
    }

    private synchronized Duration backoffHint() {
        if (nextAttempt == null) {
            return initialBackoff;
        }
        Duration left = Duration.between(clock.instant(), nextAttempt);
        return left.isNegative() || left.isZero() ? initialBackoff : left;
    }

    // --- recovery ------------------------------------------------------------------------------------------

    private synchronized void schedule(Duration delay) {
        if (closed || recovering) {
            return;
        }
        recovering = true;
        nextAttempt = clock.instant().plus(delay);
        recovery.schedule(this::recover, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void recover() {
        Connection c;
        try {
            c = connect(true);
        } catch (Exception e) {
            boolean pinRefused = e instanceof SignetException se && se.code() == SignetException.Code.INVALID_ARGUMENT
                    && e.getMessage().contains("PIN");
            synchronized (this) {
                recovering = false;
                degradedReason = "token " + tokenLabel + ": reconnecting failed: " + e.getMessage();
                if (pinRefused) {
                    // Retrying a refused PIN would lock the token; this needs an operator.
                    nextAttempt = null;
                    LOG.log(System.Logger.Level.ERROR, "PKCS#11 backend stays degraded: {0}", degradedReason);
                    return;
                }
                Duration wait = backoff;
                backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                LOG.log(System.Logger.Level.WARNING, "PKCS#11 backend still degraded: {0}; retrying in {1}",
                        degradedReason, wait);
                schedule(wait);
            }
            return;
        }
        synchronized (this) {
            recovering = false;
            if (closed) {
                Lock read = cryptoki.lock().readLock();
                read.lock();
                try {
                    logout(c);
                } finally {
                    read.unlock();
                }
                return;
            }
            install(c);
            LOG.log(System.Logger.Level.INFO, "PKCS#11 backend recovered: token {0} in slot {1}, {2} keys",
                    tokenLabel, Long.toString(c.token().slot()), c.keys().size());
        }
    }

    private void install(Connection c) {
        connection = c;
        degradedReason = null;
        nextAttempt = null;
        backoff = initialBackoff;
        // Handles of keys that did not come back stay unusable; get() no longer finds them.
        handles.keySet().retainAll(c.keys().keySet());
    }

    /**
     * Logs in to the token with this label. With {@code reinitialize}, first releases the failed provider's
     * sessions and re-initialises the library, under the write lock so no other operation holds a stale handle.
     */
    private Connection connect(boolean reinitialize) throws TokenNotFound {
        Lock lock = reinitialize ? cryptoki.lock().writeLock() : cryptoki.lock().readLock();
        lock.lock();
        try {
            if (reinitialize) {
                Connection old;
                synchronized (this) {
                    old = retired;
                    retired = null;
                }
                logout(old);
                cryptoki.reinitialize();
            }
            Cryptoki.Token token = findToken();
            Provider provider = Security.getProvider("SunPKCS11").configure("--" + providerConfig(cryptoki.library(), token));
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            try {
                store.load(null, pin);
            } catch (IOException e) {
                String ckr = Cryptoki.pkcs11Error(e);
                if (ckr.startsWith("CKR_PIN")) {
                    throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "token " + tokenLabel
                            + " refused the PIN (" + ckr + ")");
                }
                throw e;
            }
            Map<String, LiveKey> keys = new ConcurrentHashMap<>();
            for (String alias : Collections.list(store.aliases())) {
                LiveKey key = load(store, alias);
                if (key != null) {
                    keys.put(key.id(), key);
                }
            }
            int limit = token.sessionLimit();
            Semaphore sessions = new Semaphore(limit == Integer.MAX_VALUE ? Integer.MAX_VALUE
                    : Math.max(1, limit - RESERVED_SESSIONS));
            return new Connection(provider, store, cryptoki.generation(), token, keys, sessions);
        } catch (SignetException | TokenNotFound e) {
            throw e;
        } catch (Exception e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot open token " + tokenLabel + " in "
                    + cryptoki.library() + ": " + Cryptoki.describe(e), initialBackoff, e);
        } finally {
            lock.unlock();
        }
    }

    private Cryptoki.Token findToken() throws Exception {
        List<Cryptoki.Token> matches = cryptoki.tokens().stream().filter(t -> t.label().equals(tokenLabel)).toList();
        if (matches.isEmpty()) {
            throw new TokenNotFound("no token labelled '" + tokenLabel + "' in " + cryptoki.library());
        }
        if (matches.size() > 1) {
            // Picking one would risk signing with another token's keys.
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, matches.size() + " tokens are labelled '"
                    + tokenLabel + "' in " + cryptoki.library() + "; labels must be unique");
        }
        return matches.getFirst();
    }

    /**
     * The SunPKCS11 configuration. No PIN here: login happens through the KeyStore. Private keys are generated
     * as sensitive, never-extractable token objects that can only sign; public keys stay session objects
     * because the certificate carries the public key.
     */
    static String providerConfig(String library, Cryptoki.Token token) {
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
                "");
    }

    /**
     * A Signet key entry: alias = kid of the certificate's public key and a subject naming the algorithm.
     * Other entries on the token are ignored.
     */
    private LiveKey load(KeyStore store, String alias) throws GeneralSecurityException {
        if (!store.isKeyEntry(alias) || !(store.getCertificate(alias) instanceof X509Certificate cert)) {
            return null;
        }
        String subject = cert.getSubjectX500Principal().getName();
        int at = subject.indexOf(ALGORITHM_CN_PREFIX);
        if (at < 0) {
            return null;
        }
        SigningAlgorithm algorithm;
        try {
            algorithm = SigningAlgorithm.parse(subject.substring(at + ALGORITHM_CN_PREFIX.length()).split(",")[0]);
        } catch (SignetException e) {
            return null;
        }
        PublicKey pub = cert.getPublicKey();
        String kid = Jwks.thumbprint(pub, algorithm);
        if (!kid.equals(alias)) {
            LOG.log(System.Logger.Level.WARNING, "token {0}: entry {1} is not labelled with its key''s thumbprint; "
                    + "ignored", tokenLabel, alias);
            return null;
        }
        if (!(store.getKey(alias, null) instanceof PrivateKey priv)) {
            return null;
        }
        return new LiveKey(kid, algorithm, pub, priv, store.getProvider());
    }

    private static KeyPair newKeyPair(SigningAlgorithm algorithm, Provider provider) throws GeneralSecurityException {
        if (algorithm == SigningAlgorithm.ES256) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", provider);
        g.initialize(RSA_BITS);
        return g.generateKeyPair();
    }

    private Pkcs11SigningKey handle(LiveKey live) {
        return handles.computeIfAbsent(live.id(), id -> new Pkcs11SigningKey(this, id, live.algorithm(), live.publicKey()));
    }

    private Map<String, Pkcs11SigningKey> handlesOf(Connection c) {
        Map<String, Pkcs11SigningKey> m = new LinkedHashMap<>();
        for (LiveKey k : c.keys().values()) {
            m.put(k.id(), handle(k));
        }
        return m;
    }

    /** Logs out, which (with destroyTokenAfterLogout) closes the provider's pooled sessions. */
    private static void logout(Connection c) {
        if (c == null) {
            return;
        }
        for (LiveKey k : c.keys().values()) {
            k.clearPool();
        }
        try {
            ((AuthProvider) c.provider()).logout();
        } catch (Exception e) {
            // The token may be gone; its sessions die with the library re-initialisation.
        }
    }

    /** A token key within one connection. */
    private static final class LiveKey extends JcaSigningKey {

        private volatile boolean pairChecked;

        LiveKey(String kid, SigningAlgorithm algorithm, PublicKey pub, PrivateKey priv, Provider provider) {
            super(kid, algorithm, pub, priv, provider);
        }

        /**
         * The first signature is verified with the kid's public key before it is used, so a private key that does
         * not match its certificate can never sign for that kid.
         */
        @Override
        public byte[] sign(byte[] signingInput) {
            byte[] sig = super.sign(signingInput);
            if (!pairChecked) {
                if (!verifies(signingInput, sig)) {
                    throw new SignetException(SignetException.Code.INTERNAL, "the private key labelled " + id()
                            + " does not match its certificate; refusing to sign with it");
                }
                pairChecked = true;
            }
            return sig;
        }

        private boolean verifies(byte[] input, byte[] sig) {
            try {
                Signature v = Signature.getInstance(jcaName(algorithm()));
                if (algorithm() == SigningAlgorithm.PS256) {
                    setPssParameters(v);
                }
                v.initVerify(publicKey());
                v.update(input);
                return v.verify(sig);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }

        PrivateKey handle() {
            return privateKey();
        }

        @Override
        protected SignetException signingFailed(Exception e) {
            throw new TokenFault(e);
        }
    }

    /** Carries a provider failure from {@link LiveKey} to {@link #onToken}, which classifies it. */
    private static final class TokenFault extends RuntimeException {
        TokenFault(Exception cause) {
            super(cause);
        }
    }

    private static final class TokenNotFound extends Exception {
        TokenNotFound(String message) {
            super(message);
        }
    }
}
