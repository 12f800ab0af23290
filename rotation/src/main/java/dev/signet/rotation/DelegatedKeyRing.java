package dev.signet.rotation;

import dev.signet.signer.Certificates;
import dev.signet.signer.InMemorySigning;
import dev.signet.signer.Jwks;
import dev.signet.signer.SignetException;
import dev.signet.signer.SigningAlgorithm;
import dev.signet.signer.SigningKey;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Delegated mode: the master ring's ACTIVE key (in the HSM or KMS) certifies short-lived in-memory
 * subkeys, one backend call per subkey, and the subkeys sign tokens, so token volume costs no backend
 * calls. A subkey follows the master keys' lifecycle: published (with {@code x5c} = [subkey, master]) for
 * the prepublish lead before it signs, ACTIVE for {@code lifetime}, published until every token it signed
 * has expired, never published after its master is unpublished.
 *
 * <p>The private part of a subkey exists only in this process and is dropped when the subkey is
 * unpublished. Its public certificate chain and times are written to {@code <dir>/<replica>.subkeys}, so a
 * restarted process and the other replicas on the same host keep publishing it while its tokens are
 * valid. Until this process's first subkey has been published for the lead, the master key signs
 * directly.
 */
public final class DelegatedKeyRing implements KeyRing {

    private static final System.Logger LOG = System.getLogger(DelegatedKeyRing.class.getName());
    private static final String SUFFIX = ".subkeys";

    /** A subkey's public side and schedule, as written for other processes. */
    record Published(SigningKey key, String masterKid, Instant prepared, Instant activates, Instant retires,
                     Instant unpublishes) {
    }

    private final RotatingKeyRing master;
    private final SigningAlgorithm algorithm;
    private final Duration lifetime;
    private final Path dir;
    private final Path own;
    private final Clock clock;
    /** This process's subkeys, with their private parts. */
    private final Map<String, Published> mine = new ConcurrentHashMap<>();
    private final Map<String, X509Certificate> masterCertificates = new ConcurrentHashMap<>();
    private volatile List<Published> publishedView = List.of();
    private volatile Published signer;

    /**
     * @param dir      where subkey certificates are shared between processes (one directory per issuer)
     * @param lifetime how long a subkey signs; at least the prepublish lead
     * @throws SignetException INVALID_ARGUMENT if the lifetime is shorter than the master policy's lead
     */
    public DelegatedKeyRing(RotatingKeyRing master, SigningAlgorithm algorithm, Duration lifetime, Path dir, Clock clock) {
        if (lifetime.compareTo(master.policy().prepublishLead()) < 0) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "a subkey lifetime of " + lifetime
                    + " is shorter than the prepublish lead " + master.policy().prepublishLead());
        }
        if (algorithm != SigningAlgorithm.ES256 && algorithm != SigningAlgorithm.EdDSA) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "subkeys are ES256 or EdDSA (the fast in-memory signers), not " + algorithm);
        }
        this.master = master;
        this.algorithm = algorithm;
        this.lifetime = lifetime;
        this.dir = dir;
        this.own = dir.resolve(UUID.randomUUID() + SUFFIX);
        this.clock = clock;
        tick();
    }

    /** The ring of master keys, for the operator verbs. */
    public RotatingKeyRing master() {
        return master;
    }

    @Override
    public SigningSlot signingSlot() {
        Published s = signer;
        Instant now = clock.instant();
        if (s != null && !now.isBefore(s.activates()) && now.isBefore(s.retires())) {
            return new SigningSlot(s.key(), s.unpublishes());
        }
        return master.signingSlot();
    }

    @Override
    public List<SigningKey> published() {
        List<SigningKey> all = new ArrayList<>(master.published());
        publishedView.forEach(p -> all.add(p.key()));
        return all;
    }

    @Override
    public Duration jwksMaxAge() {
        return master.jwksMaxAge();
    }

    @Override
    public List<KeyView> describe() {
        List<KeyView> views = new ArrayList<>(master.describe());
        Instant now = clock.instant();
        for (Published p : publishedView) {
            String state = now.isBefore(p.activates()) ? "PREPARED" : now.isBefore(p.retires()) ? "ACTIVE" : "RETIRED";
            views.add(new KeyView(p.key().id(), p.key().algorithm().name(), "SUBKEY_" + state, p.prepared(),
                    p.activates(), p.retires(), p.unpublishes()));
        }
        return views;
    }

    /** Ticks the master ring, then prepares, activates and drops subkeys as due. */
    @Override
    public synchronized void tick() {
        master.tick();
        Instant now = clock.instant();
        // A subkey lives no longer than its publication, nor than its master's (revocation cascades).
        java.util.Set<String> masters = new java.util.HashSet<>();
        master.published().forEach(k -> masters.add(k.id()));
        mine.values().removeIf(p -> !now.isBefore(p.unpublishes()) || !masters.contains(p.masterKid()));
        Duration lead = master.policy().prepublishLead();
        Instant lastRetirement = mine.values().stream().map(Published::retires).max(Comparator.naturalOrder()).orElse(now);
        // Like master keys, the next subkey is prepared two leads ahead: one lead for caches, one of margin.
        if (!lastRetirement.isAfter(now.plus(lead.multipliedBy(2)))) {
            try {
                Published next = certifyNew(now, maxOf(lastRetirement, now.plus(lead)));
                mine.put(next.key().id(), next);
            } catch (SignetException e) {
                // The master may be rotating or its backend recovering: the master keeps signing meanwhile.
                LOG.log(System.Logger.Level.WARNING, "cannot certify a new subkey: " + e.code() + ": " + e.getMessage());
            }
        }
        signer = mine.values().stream()
                .filter(p -> !now.isBefore(p.activates()) && now.isBefore(p.retires()))
                .max(Comparator.comparing(Published::activates)).orElse(null);
        share(now, masters);
    }

    /** The master's kid as written in its certificate's subject by {@link #masterName}. */
    private static String masterKid(X509Certificate masterCert) {
        return masterCert.getSubjectX500Principal().getName().replace("CN=signet master ", "");
    }

    /**
     * The master key that certifies a subkey activating at {@code activates}: the PREPARED master if the
     * subkey will sign after that master takes over (it is published already), else the ACTIVE one.
     */
    private SigningSlot certifier(Instant activates) {
        Optional<KeyRecord> next = master.keySet().prepared();
        if (next.isPresent() && !activates.isBefore(next.get().activates())) {
            Optional<SigningKey> key = master.published().stream().filter(k -> k.id().equals(next.get().kid())).findFirst();
            if (key.isPresent()) {
                RotationPolicy policy = master.policy();
                return new SigningSlot(key.get(),
                        next.get().activates().plus(policy.rotationPeriod()).plus(policy.retention()));
            }
        }
        return master.signingSlot();
    }

    private static Instant maxOf(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /** One backend call: the master's ACTIVE key signs the new subkey's certificate. */
    private Published certifyNew(Instant now, Instant activates) {
        SigningSlot masterSlot = certifier(activates);
        SigningKey masterKey = masterSlot.key();
        Instant retires = activates.plus(lifetime);
        Instant unpublishes = retires.plus(master.policy().retention());
        if (unpublishes.isAfter(masterSlot.publishedUntil())) {
            // A subkey must never be published without its master: shorten it instead.
            unpublishes = masterSlot.publishedUntil();
            retires = unpublishes.minus(master.policy().retention());
            if (!retires.isAfter(activates)) {
                throw new SignetException(SignetException.Code.UNAVAILABLE,
                        "the master key's publication ends too soon to certify a subkey; waiting for the next master");
            }
        }
        KeyPair pair = newPair();
        String kid = Jwks.thumbprint(pair.getPublic(), algorithm);
        X509Certificate masterCert = masterCertificates.computeIfAbsent(masterKey.id(), id -> Certificates.issue(
                masterKey.publicKey(), masterName(masterKey), masterKey, masterName(masterKey),
                now, masterSlot.publishedUntil(), true));
        X509Certificate cert = Certificates.issue(pair.getPublic(), "CN=signet subkey " + kid, masterKey,
                masterName(masterKey), now, unpublishes, false);
        SigningKey inMemory = InMemorySigning.key(kid, algorithm, pair.getPublic(), pair.getPrivate());
        return new Published(new CertifiedKey(inMemory, List.of(cert, masterCert)), masterKey.id(), now, activates,
                retires, unpublishes);
    }

    private static String masterName(SigningKey masterKey) {
        return "CN=signet master " + masterKey.id();
    }

    private KeyPair newPair() {
        try {
            if (algorithm == SigningAlgorithm.EdDSA) {
                return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot generate a subkey", e);
        }
    }

    /** Writes this process's subkeys (public parts only) and reads everyone's still-published ones. */
    private void share(Instant now, java.util.Set<String> masters) {
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(dir.resolve("subkeys.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
                StringBuilder text = new StringBuilder();
                for (Published p : mine.values()) {
                    text.append(encode(p)).append('\n');
                }
                Path tmp = own.resolveSibling(own.getFileName() + ".tmp");
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                Files.move(tmp, own, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Map<String, Published> all = new LinkedHashMap<>();
                try (var files = Files.list(dir)) {
                    for (Path f : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
                        List<Published> live = new ArrayList<>();
                        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                            if (!line.isBlank()) {
                                Published p = decode(line);
                                if (now.isBefore(p.unpublishes())) {
                                    live.add(p);
                                }
                            }
                        }
                        if (live.isEmpty() && !f.equals(own)) {
                            Files.deleteIfExists(f); // a stopped process's subkeys, all expired
                        }
                        live.forEach(p -> all.putIfAbsent(p.key().id(), p));
                    }
                }
                mine.values().forEach(p -> all.put(p.key().id(), p)); // ours sign; theirs only verify
                all.values().removeIf(p -> !masters.contains(p.masterKid()));
                publishedView = List.copyOf(all.values());
            }
        } catch (IOException e) {
            // Keep serving the last view; other replicas may miss this process's newest subkey, which
            // does not sign before its lead anyway.
            LOG.log(System.Logger.Level.WARNING, "cannot share subkeys in " + dir + ": " + e.getMessage());
            Map<String, Published> all = new LinkedHashMap<>();
            publishedView.stream().filter(p -> now.isBefore(p.unpublishes()) && masters.contains(p.masterKid()))
                    .forEach(p -> all.put(p.key().id(), p));
            mine.values().forEach(p -> all.put(p.key().id(), p));
            publishedView = List.copyOf(all.values());
        }
    }

    private static String encode(Published p) {
        try {
            Base64.Encoder b64 = Base64.getEncoder();
            return String.join(" ", p.key().algorithm().name(), p.prepared().toString(), p.activates().toString(),
                    p.retires().toString(), p.unpublishes().toString(),
                    b64.encodeToString(p.key().certificateChain().get(0).getEncoded()),
                    b64.encodeToString(p.key().certificateChain().get(1).getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "cannot encode a subkey certificate", e);
        }
    }

    private static Published decode(String line) {
        String[] f = line.strip().split(" ");
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            X509Certificate leaf = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(f[5])));
            X509Certificate root = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(f[6])));
            SigningAlgorithm alg = SigningAlgorithm.parse(f[0]);
            PublicKey pub = leaf.getPublicKey();
            return new Published(new CertifiedKey(new VerifyOnlyKey(Jwks.thumbprint(pub, alg), alg, pub), List.of(leaf, root)),
                    masterKid(root), Instant.parse(f[1]), Instant.parse(f[2]), Instant.parse(f[3]), Instant.parse(f[4]));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged subkey record: " + e.getMessage(), e);
        }
    }

    /** A subkey: an in-memory signer with its chain up to the master. */
    private record CertifiedKey(SigningKey inner, List<X509Certificate> certificateChain) implements SigningKey {
        public String id() {
            return inner.id();
        }

        public SigningAlgorithm algorithm() {
            return inner.algorithm();
        }

        public PublicKey publicKey() {
            return inner.publicKey();
        }

        public byte[] sign(byte[] input) {
            return inner.sign(input);
        }

        @Override
        public String toString() {
            return "subkey[" + inner.algorithm() + " " + inner.id() + "]";
        }
    }

    /** Another process's (or a previous run's) subkey: published, never signing here. */
    private record VerifyOnlyKey(String id, SigningAlgorithm algorithm, PublicKey publicKey) implements SigningKey {
        public byte[] sign(byte[] input) {
            throw new SignetException(SignetException.Code.INTERNAL, "subkey " + id + " belongs to another process");
        }
    }

    @Override
    public void close() {
        mine.clear();
        master.close();
    }
}
