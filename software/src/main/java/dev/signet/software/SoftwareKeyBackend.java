package dev.signet.software;

import dev.signet.spi.Certificates;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.StateFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.attribute.FileTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keys generated in this process and kept in a password-protected PKCS#12 file, so a restart keeps
 * them. For development and tests: the keys are NOT hardware-protected, and it says so once at start-up.
 *
 * <p>Several processes on one host may share the file (replicas in tests and dev): changes are made
 * under an OS lock on {@code <file>.lock} after re-reading the file, and a key another process added
 * is found by re-reading the file when it changed.
 */
public final class SoftwareKeyBackend implements KeyBackend {

    private static final System.Logger LOG = System.getLogger(SoftwareKeyBackend.class.getName());
    /** The certificate is only a keystore requirement; verifiers never see it. */
    private static final Duration CERT_VALIDITY = Duration.ofDays(3650);
    private static final String ALGORITHM_CN_PREFIX = "signet-alg-";
    private static final java.security.SecureRandom SALTS = new java.security.SecureRandom();

    /** Key entries' protection when the password is a generated 256-bit one (see {@link #SoftwareKeyBackend(Path, char[], boolean, Clock)}). */
    private static final String KEY_PBE = "PBEWithHmacSHA256AndAES_256";

    private final Path file;
    private final char[] password;
    private final boolean randomPassword;
    private final Clock clock;
    private final Path lockFile;
    private KeyStore store;
    private FileTime loadedVersion;
    private Map<String, SigningKey> keys = new LinkedHashMap<>();

    /**
     * Opens (or creates) the keystore at {@code file}.
     *
     * @throws SignetException INVALID_ARGUMENT if the file exists but cannot be read with this password;
     *                         FAILED_PRECONDITION if group or others may read or write it
     */
    public SoftwareKeyBackend(Path file, char[] password, Clock clock) {
        this(file, password, false, clock);
    }

    /**
     * As {@link #SoftwareKeyBackend(Path, char[], Clock)}; with {@code randomPassword}, the password is a random
     * 256-bit secret (the generated {@code .pass} file), which no guessing can reach: the key derivation is not
     * stretched then (one PBKDF2 / PKCS#12 KDF iteration instead of the JDK's 10 000, each of which cost the
     * daemon's start about 50 ms of CPU), and certificates, which are public, are not encrypted. Encryption (AES-256)
     * and the file's integrity MAC stay. A password an operator chose keeps the JDK's defaults.
     */
    public SoftwareKeyBackend(Path file, char[] password, boolean randomPassword, Clock clock) {
        this.file = file;
        this.password = password.clone();
        this.randomPassword = randomPassword;
        this.clock = clock;
        this.lockFile = lockFile(file);
        StateFiles.requireOwnerOnly(file, "software keystore");
        reloadIfChanged();
        LOG.log(System.Logger.Level.WARNING, "software key backend at {0}: keys are NOT hardware-protected; "
                + "use the pkcs11 or kms backend in production", file);
    }

    /** The file whose lock serialises changes to {@code keystore} across processes. */
    static Path lockFile(Path keystore) {
        return keystore.resolveSibling(keystore.getFileName() + ".lock");
    }

    @Override
    public String type() {
        return "software";
    }

    @Override
    public boolean hardwareProtected() {
        return false;
    }

    @Override
    public Set<SigningAlgorithm> algorithms() {
        return EnumSet.allOf(SigningAlgorithm.class);
    }

    /** Re-reads the file if another process (or a restart) changed it since it was read. */
    private void reloadIfChanged() {
        try {
            FileTime version = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            if (store != null && java.util.Objects.equals(version, loadedVersion)) {
                return;
            }
            KeyStore fresh = KeyStore.getInstance("PKCS12");
            if (version != null) {
                try (InputStream in = Files.newInputStream(file)) {
                    fresh.load(in, password);
                }
            } else {
                fresh.load(null, null);
            }
            Map<String, SigningKey> loaded = new LinkedHashMap<>();
            for (String alias : Collections.list(fresh.aliases())) {
                // Keep already loaded keys: their pooled Signature objects stay warm.
                SigningKey key = fromStore(fresh, alias);
                loaded.put(key.id(), keys.getOrDefault(key.id(), key));
            }
            store = fresh;
            keys = loaded;
            loadedVersion = version;
        } catch (IOException | GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "cannot open software keystore " + file + " (wrong password or damaged file): "
                            + e.getClass().getSimpleName());
        }
    }

    /** Runs a change under the cross-process lock, on the latest file. */
    private <T> T locked(java.util.function.Supplier<T> change) {
        try (StateFiles.Lock ignored = StateFiles.lock(lockFile, StateFiles.LOCK_TIMEOUT)) {
            reloadIfChanged();
            return change.get();
        }
    }

    @Override
    public synchronized SigningKey generate(SigningAlgorithm algorithm) {
        return locked(() -> generateLocked(algorithm));
    }

    private SigningKey generateLocked(SigningAlgorithm algorithm) {
        try {
            NativeSigningLibrary.Generated generated = InMemorySigning.choice().generateStorable(algorithm);
            SigningKey key = generated.key();
            X509Certificate cert = Certificates.selfSigned(key, ALGORITHM_CN_PREFIX + algorithm.name(), clock.instant(),
                    CERT_VALIDITY);
            if (randomPassword) {
                byte[] salt = new byte[16];
                SALTS.nextBytes(salt);
                store.setEntry(alias(key.id()), new KeyStore.PrivateKeyEntry(generated.pair().getPrivate(),
                        new Certificate[]{cert}), new KeyStore.PasswordProtection(password, KEY_PBE,
                        new javax.crypto.spec.PBEParameterSpec(salt, 1)));
            } else {
                store.setKeyEntry(alias(key.id()), generated.pair().getPrivate(), password, new Certificate[]{cert});
            }
            save();
            keys.put(key.id(), key);
            return key;
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot generate a " + algorithm + " key", e);
        }
    }

    @Override
    public synchronized SigningKey get(String id) {
        SigningKey key = keys.get(id);
        if (key == null) {
            reloadIfChanged();
            key = keys.get(id);
        }
        if (key == null) {
            throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + id + " in the software keystore");
        }
        return key;
    }

    @Override
    public synchronized List<SigningKey> list() {
        reloadIfChanged();
        return List.copyOf(new ArrayList<>(keys.values()));
    }

    @Override
    public synchronized void destroy(String id) {
        locked(() -> {
            get(id);
            try {
                store.deleteEntry(alias(id));
                save();
                keys.remove(id);
                return null;
            } catch (GeneralSecurityException e) {
                throw new SignetException(SignetException.Code.INTERNAL, "cannot delete key " + id, e);
            }
        });
    }

    private SigningKey fromStore(KeyStore store, String alias) throws GeneralSecurityException {
        PrivateKey priv = (PrivateKey) store.getKey(alias, password);
        X509Certificate cert = (X509Certificate) store.getCertificate(alias);
        SigningAlgorithm algorithm = algorithmOf(cert);
        return InMemorySigning.key(Jwks.thumbprint(cert.getPublicKey(), algorithm), algorithm, cert.getPublicKey(), priv);
    }

    /**
     * PKCS#12 lower-cases aliases but kids are case-sensitive base64url, so the alias is the kid's
     * bytes in hex; the kid itself is recomputed from the public key on load.
     */
    private static String alias(String kid) {
        return HexFormat.of().formatHex(kid.getBytes(StandardCharsets.US_ASCII));
    }

    /** An RSA key serves PS256 or RS256; the certificate's subject records which. */
    private static SigningAlgorithm algorithmOf(X509Certificate cert) {
        String subject = cert.getSubjectX500Principal().getName();
        int at = subject.indexOf(ALGORITHM_CN_PREFIX);
        if (at < 0) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "software keystore entry without a Signet algorithm: " + subject);
        }
        return SigningAlgorithm.parse(subject.substring(at + ALGORITHM_CN_PREFIX.length()).split(",")[0]);
    }

    /** Replaced atomically, so a crash leaves either the old or the new keystore, never half of one. */
    private void save() throws GeneralSecurityException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (randomPassword && loadedVersion == null) {
                storeNew(store, out, password);
            } else {
                store.store(out, password); // a loaded keystore keeps the MAC and certificate protection of its file
            }
            StateFiles.write(file, out.toByteArray());
            loadedVersion = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE,
                    "cannot write software keystore " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a keystore that was not loaded from a file with an unstretched MAC and unencrypted certificates. The
     * JDK takes these only from process-wide properties, read by {@code store} of such a keystore alone; they are
     * set for the call and restored under one lock (nothing else in Signet stores PKCS#12).
     */
    private static void storeNew(KeyStore store, ByteArrayOutputStream out, char[] password)
            throws IOException, GeneralSecurityException {
        synchronized (SoftwareKeyBackend.class) {
            String[][] settings = {{"keystore.pkcs12.macIterationCount", "1"},
                    {"keystore.pkcs12.certProtectionAlgorithm", "NONE"}};
            String[] before = new String[settings.length];
            try {
                for (int i = 0; i < settings.length; i++) {
                    before[i] = System.setProperty(settings[i][0], settings[i][1]);
                }
                store.store(out, password);
            } finally {
                for (int i = 0; i < settings.length; i++) {
                    if (before[i] == null) {
                        System.clearProperty(settings[i][0]);
                    } else {
                        System.setProperty(settings[i][0], before[i]);
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "SoftwareKeyBackend[" + file + ", " + keys.size() + " keys]";
    }
}
