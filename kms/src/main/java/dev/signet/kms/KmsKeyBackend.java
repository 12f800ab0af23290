package dev.signet.kms;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link KeyBackend} SPI over AWS KMS: keys shared by every replica of an issuer. A key is found by its alias
 * {@code alias/signet/<issuer-slug>/<kid>} and tagged {@code signet:issuer}, {@code signet:alg},
 * {@code signet:kid}; nothing about keys is stored locally, so replicas and restarts see the same keys and only
 * {@link #generate} creates one. Public keys are fetched once per key and cached; signing is one KMS request.
 * A periodic check ({@code backend.key-check-interval}) asks KMS for the state of every loaded key, so a key
 * that was deleted, disabled or scheduled for deletion behind Signet's back shows in {@link #degraded()}.
 */
public final class KmsKeyBackend implements KeyBackend {

    private static final System.Logger LOG = System.getLogger(KmsKeyBackend.class.getName());

    /** Runs a task every period until closed; the provider's runs on a daemon thread, tests run it by hand. */
    interface Scheduler {
        AutoCloseable every(Duration period, Runnable task);
    }

    private final KmsApi kms;
    private final KmsCalls calls;
    private final KmsOptions options;
    private final AliasScheme aliases;
    private final KeyHealth health;
    private final KeyLoader loader;
    private final OrphanSweep orphans;
    private final String description;
    private final Map<String, KmsSigningKey> cache = new ConcurrentHashMap<>();
    private volatile AutoCloseable checks;

    /** @param description where the backend points, for {@link #toString()}; never credentials */
    KmsKeyBackend(KmsApi kms, KmsCalls calls, KmsOptions options, String issuer, java.time.Clock clock,
                  String description) {
        this.kms = kms;
        this.calls = calls;
        this.options = options;
        this.aliases = new AliasScheme(issuer);
        this.health = new KeyHealth(clock, options.keyCheckInterval().multipliedBy(4), options.keyCheckInterval());
        this.loader = new KeyLoader(kms, calls, aliases, health, options);
        this.orphans = new OrphanSweep(kms, calls, aliases, clock, options.orphanGrace(), options.deletionWindowDays());
        this.description = description;
    }

    /** Starts the periodic {@link #checkKeys()}. */
    void scheduleChecks(Scheduler scheduler) {
        checks = scheduler.every(options.keyCheckInterval(), () -> {
            try {
                checkKeys();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "KMS key check failed; retrying at the next interval", e);
            }
        });
    }

    @Override
    public String type() {
        return "kms";
    }

    @Override
    public boolean hardwareProtected() {
        return true;
    }

    @Override
    public Set<SigningAlgorithm> algorithms() {
        return options.algorithms();
    }

    /**
     * CreateKey (tagged with issuer and algorithm) → GetPublicKey → kid → TagResource {@code signet:kid} →
     * CreateAlias. If a step after CreateKey fails, the new key is scheduled for deletion at once; if even that
     * fails, {@link #reconcile()} finds it later by its tags.
     *
     * @throws SignetException INVALID_ARGUMENT if the algorithm is not in {@link #algorithms()};
     *                         UNAVAILABLE or RESOURCE_EXHAUSTED (with Retry-After) when KMS is down or throttling;
     *                         INTERNAL when KMS refuses (e.g. missing kms:CreateKey permission)
     */
    @Override
    public SigningKey generate(SigningAlgorithm algorithm) {
        if (!options.algorithms().contains(algorithm)) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "the kms backend does not offer "
                    + algorithm + "; configured: " + options.algorithms());
        }
        KeyMetadata created = calls.call("CreateKey", () -> kms.createKey(KeyLoader.keySpec(algorithm),
                "Signet " + algorithm + " signing key for " + aliases.slug(),
                Map.of(AliasScheme.TAG_ISSUER, aliases.slug(), AliasScheme.TAG_ALG, algorithm.name())));
        String keyId = created.keyId();
        try {
            KmsSigningKey key = loader.load(keyId, algorithm);
            calls.run("TagResource", () -> kms.tagResource(keyId, Map.of(AliasScheme.TAG_KID, key.id())));
            calls.run("CreateAlias", () -> kms.createAlias(aliases.alias(key.id()), keyId));
            cache.put(key.id(), key);
            return key;
        } catch (SignetException e) {
            try {
                scheduleDeletion(keyId);
            } catch (SignetException cleanup) {
                e.addSuppressed(cleanup);
                LOG.log(System.Logger.Level.WARNING, "KMS key {0} was created but not aliased, and could not be "
                        + "scheduled for deletion; reconcile() will find it by its tags", keyId);
            }
            throw e;
        }
    }

    /**
     * A symmetric {@code ENCRYPT_DECRYPT} key, by ARN, key id or alias; with {@code create}, an alias that names no
     * key gets a new one. Wrapping is Encrypt, unwrapping Decrypt (one request each, through the same request
     * budget as signing), bound to the purpose by an encryption context.
     *
     * @throws SignetException NOT_FOUND if there is no such key (and not {@code create}, or not an alias);
     *                         INVALID_ARGUMENT if it is not a symmetric ENCRYPT_DECRYPT key
     */
    @Override
    public dev.signet.spi.WrappingKey wrappingKey(String name, boolean create) {
        KeyMetadata meta;
        try {
            meta = calls.call("DescribeKey", () -> kms.describeKey(name));
        } catch (SignetException e) {
            if (e.code() != SignetException.Code.NOT_FOUND || !create || !name.startsWith("alias/")) {
                throw new SignetException(e.code(), "the wrapping key " + name + " (signet.delegation.wrapping-key): "
                        + e.getMessage() + (e.code() == SignetException.Code.NOT_FOUND
                        ? "; name an existing symmetric ENCRYPT_DECRYPT key, or an alias/... for Signet to create" : ""), e);
            }
            KeyMetadata created = calls.call("CreateKey", () -> kms.createWrappingKey(
                    "Signet key wrapping delegated subkeys of " + aliases.slug(),
                    // Not TAG_ISSUER: the orphan sweep would take an issuer-tagged key without a signing alias for its own.
                    Map.of("signet:wraps-subkeys-of", aliases.slug())));
            try {
                calls.run("CreateAlias", () -> kms.createAlias(name, created.keyId()));
            } catch (SignetException raced) {
                scheduleDeletion(created.keyId()); // another replica created it first: use theirs
            }
            meta = calls.call("DescribeKey", () -> kms.describeKey(name));
        }
        if (meta.keyUsage() != software.amazon.awssdk.services.kms.model.KeyUsageType.ENCRYPT_DECRYPT) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "the wrapping key " + name
                    + " is a " + meta.keyUsageAsString() + " key; it must be a symmetric ENCRYPT_DECRYPT key");
        }
        String arn = meta.arn();
        Map<String, String> context = Map.of("signet:purpose", "delegated subkey", "signet:issuer", aliases.slug());
        return new dev.signet.spi.WrappingKey() {
            public String id() {
                return name;
            }

            public byte[] wrap(byte[] plaintext) {
                return calls.call("Encrypt", () -> kms.encrypt(arn, plaintext, context));
            }

            public byte[] unwrap(byte[] wrapped) {
                return calls.call("Decrypt", () -> kms.decrypt(arn, wrapped, context));
            }

            @Override
            public String toString() {
                return "KmsWrappingKey[" + name + "]";
            }
        };
    }

    /**
     * From the cache, else GetPublicKey and ListResourceTags by alias (once per key and process).
     *
     * @throws SignetException NOT_FOUND if no alias of this issuer names {@code id}, or its key's tags or public key
     *                         do not match the alias; UNAVAILABLE when KMS is down, or will not use the key
     *                         (disabled, pending deletion); RESOURCE_EXHAUSTED when throttling
     */
    @Override
    public SigningKey get(String id) {
        KmsSigningKey cached = cache.get(id);
        if (cached != null) {
            return cached;
        }
        if (!AliasScheme.isKid(id)) {
            throw KeyLoader.notFound(id);
        }
        KmsSigningKey key = loader.loadAliased(id);
        cache.put(id, key);
        return key;
    }

    /**
     * This issuer's keys: ListAliases, paginated and filtered to this issuer's prefix, so another issuer's keys in
     * the same account are never listed; keys not yet cached are loaded. Aliases whose key does not match its
     * tags are skipped with a warning, never signed with. Keys being deleted have no alias and are not listed.
     *
     * @throws SignetException UNAVAILABLE / RESOURCE_EXHAUSTED when KMS is down or throttling
     */
    @Override
    public List<SigningKey> list() {
        Map<String, String> kidToKeyId = aliasedKeys();
        List<SigningKey> keys = new ArrayList<>();
        for (Map.Entry<String, String> e : kidToKeyId.entrySet()) {
            KmsSigningKey cached = cache.get(e.getKey());
            if (cached == null || !bareKeyId(cached.keyArn()).equals(bareKeyId(e.getValue()))) {
                try {
                    cached = loader.loadAliased(e.getKey());
                    cache.put(e.getKey(), cached);
                } catch (SignetException ex) {
                    if (ex.code() != SignetException.Code.NOT_FOUND) {
                        throw ex;
                    }
                    LOG.log(System.Logger.Level.WARNING, "skipping alias {0}: {1}", aliases.alias(e.getKey()),
                            ex.getMessage());
                    continue;
                }
            }
            keys.add(cached);
        }
        // Another replica may have destroyed keys: the aliases are the truth.
        cache.keySet().retainAll(kidToKeyId.keySet());
        return List.copyOf(keys);
    }

    /**
     * DeleteAlias, then ScheduleKeyDeletion with {@code backend.deletion-window-days}. The alias goes first so no
     * replica lists the key again; a key left without alias by a failure here is found by {@link #reconcile()}.
     * Whether tokens signed by the key may still be valid is the rotation layer's question, not this method's.
     *
     * @throws SignetException NOT_FOUND if no alias of this issuer names {@code id};
     *                         UNAVAILABLE / RESOURCE_EXHAUSTED when KMS is down or throttling
     */
    @Override
    public void destroy(String id) {
        KmsSigningKey key = (KmsSigningKey) get(id);
        try {
            calls.run("DeleteAlias", () -> kms.deleteAlias(aliases.alias(id)));
        } catch (SignetException e) {
            if (e.code() != SignetException.Code.NOT_FOUND) {
                throw e;
            }
            cache.remove(id);
            health.forget(id);
            throw KeyLoader.notFound(id);
        }
        cache.remove(id);
        health.forget(id);
        scheduleDeletion(key.keyArn());
    }

    /**
     * The orphan sweep ({@link OrphanSweep}): schedules for deletion this issuer's tagged keys that no alias names.
     *
     * @return the KMS key ids scheduled for deletion
     * @throws SignetException UNAVAILABLE / RESOURCE_EXHAUSTED if listing fails
     */
    public List<String> reconcile() {
        return orphans.run(aliasedKeys().values());
    }

    /**
     * The periodic check: DescribeKey for every key this process has loaded and the key last asked to sign. A key
     * KMS no longer has, or whose state is not Enabled, is recorded as unusable (readiness DOWN if it is the one
     * signing); one that is Enabled again is cleared. An outage ends the check; the breaker reports it.
     */
    void checkKeys() {
        Map<String, KmsSigningKey> keys = new LinkedHashMap<>(cache);
        health.signer().ifPresent(k -> keys.putIfAbsent(k.id(), k));
        health.retain(keys.keySet());
        for (KmsSigningKey key : keys.values()) {
            KeyMetadata meta;
            try {
                meta = calls.call("DescribeKey", () -> kms.describeKey(key.keyArn()));
            } catch (SignetException e) {
                Optional<String> unusable = KmsCalls.keyUnusable(e);
                if (unusable.isPresent()) {
                    health.unusable(key, unusable.get());
                    continue;
                }
                if (e.code() == SignetException.Code.UNAVAILABLE || e.code() == SignetException.Code.RESOURCE_EXHAUSTED) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "KMS key check of {0} failed: {1}", key.id(), e.getMessage());
                continue;
            }
            if (meta.keyState() == KeyState.ENABLED) {
                health.usable(key);
            } else {
                health.unusable(key, "is " + meta.keyStateAsString() + " in AWS KMS");
            }
        }
    }

    /**
     * Why signing would fail now: KMS did not answer the last requests (circuit open, probing, or failures short
     * of opening it), or the key signing is gone, disabled or pending deletion. Empty when neither.
     */
    @Override
    public Optional<String> degraded() {
        CircuitBreaker breaker = calls.breaker();
        Optional<String> outage = switch (breaker.state()) {
            case CLOSED -> breaker.consecutiveFailures() == 0 ? Optional.empty()
                    : Optional.of("AWS KMS did not answer the last " + breaker.consecutiveFailures() + " request(s)");
            case OPEN -> Optional.of("AWS KMS unreachable: circuit open, next probe in "
                    + breaker.retryAfter().toSeconds() + "s");
            case HALF_OPEN -> Optional.of("AWS KMS recovering: probing");
        };
        return outage.or(health::problem);
    }

    @Override
    public Circuit circuit() {
        return switch (calls.breaker().state()) {
            case CLOSED -> Circuit.CLOSED;
            case HALF_OPEN -> Circuit.HALF_OPEN;
            case OPEN -> Circuit.OPEN;
        };
    }

    @Override
    public void close() {
        AutoCloseable c = checks;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "stopping the KMS key check", e);
            }
        }
        kms.close();
    }

    @Override
    public String toString() {
        return "KmsKeyBackend[" + description + ", " + aliases.prefix() + "*]";
    }

    /** kid → KMS key id of every alias under this issuer's prefix. */
    private Map<String, String> aliasedKeys() {
        Map<String, String> found = new HashMap<>();
        for (AliasListEntry a : calls.all("ListAliases", kms::listAliases)) {
            Optional<String> kid = aliases.kidOf(a.aliasName());
            if (kid.isPresent() && a.targetKeyId() != null) {
                found.put(kid.get(), a.targetKeyId());
            }
        }
        return found;
    }

    private void scheduleDeletion(String keyId) {
        calls.run("ScheduleKeyDeletion", () -> kms.scheduleKeyDeletion(keyId, options.deletionWindowDays()));
    }

    /** GetPublicKey returns an ARN, ListAliases a bare id: compare the id part. */
    static String bareKeyId(String arnOrId) {
        int slash = arnOrId.lastIndexOf(":key/");
        return slash < 0 ? arnOrId : arnOrId.substring(slash + ":key/".length());
    }
}
