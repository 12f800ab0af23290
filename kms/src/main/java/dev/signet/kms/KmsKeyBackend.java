package dev.signet.kms;

import com.nimbusds.jose.jwk.Curve;
import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.GetPublicKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.ListAliasesResponse;
import software.amazon.awssdk.services.kms.model.ListKeysResponse;
import software.amazon.awssdk.services.kms.model.ListResourceTagsResponse;
import software.amazon.awssdk.services.kms.model.Tag;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keys in AWS KMS, shared by every replica of an issuer. A key is found by its alias
 * {@code alias/signet/<issuer-slug>/<kid>} and tagged {@code signet:issuer}, {@code signet:alg},
 * {@code signet:kid}; nothing about keys is stored locally, so replicas and restarts see the same keys and only
 * {@link #generate} creates one. Public keys are fetched once per key and cached; signing is one KMS request.
 */
public final class KmsKeyBackend implements KeyBackend {

    private static final System.Logger LOG = System.getLogger(KmsKeyBackend.class.getName());
    private static final int PAGE = 100;

    private final KmsClient kms;
    private final KmsCalls calls;
    private final KmsOptions options;
    private final AliasScheme aliases;
    private final Clock clock;
    private final String description;
    private final Map<String, KmsSigningKey> cache = new ConcurrentHashMap<>();

    /**
     * @param kms         a client whose SDK retries are off and whose call timeouts are set (the provider does both)
     * @param description where the backend points, for {@link #toString()}; never credentials
     */
    KmsKeyBackend(KmsClient kms, KmsCalls calls, KmsOptions options, String issuer, Clock clock, String description) {
        this.kms = kms;
        this.calls = calls;
        this.options = options;
        this.aliases = new AliasScheme(issuer);
        this.clock = clock;
        this.description = description;
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
        KeyMetadata created = calls.call("CreateKey", () -> kms.createKey(b -> b
                .keySpec(keySpec(algorithm))
                .keyUsage(KeyUsageType.SIGN_VERIFY)
                .description("Signet " + algorithm + " signing key for " + aliases.slug())
                .tags(tag(AliasScheme.TAG_ISSUER, aliases.slug()), tag(AliasScheme.TAG_ALG, algorithm.name()))))
                .keyMetadata();
        String keyId = created.keyId();
        try {
            KmsSigningKey key = load(keyId, algorithm);
            calls.call("TagResource", () -> kms.tagResource(b -> b.keyId(keyId)
                    .tags(tag(AliasScheme.TAG_KID, key.id()))));
            calls.call("CreateAlias", () -> kms.createAlias(b -> b.aliasName(aliases.alias(key.id()))
                    .targetKeyId(keyId)));
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
     * From the cache, else GetPublicKey and ListResourceTags by alias (once per key and process).
     *
     * @throws SignetException NOT_FOUND if no alias of this issuer names {@code id}, or its key's tags or public key
     *                         do not match the alias; UNAVAILABLE / RESOURCE_EXHAUSTED when KMS is down or throttling
     */
    @Override
    public SigningKey get(String id) {
        KmsSigningKey cached = cache.get(id);
        if (cached != null) {
            return cached;
        }
        if (!AliasScheme.isKid(id)) {
            throw notFound(id);
        }
        KmsSigningKey key = loadAliased(id, aliases.alias(id));
        cache.put(id, key);
        return key;
    }

    /**
     * ListAliases, paginated and filtered to this issuer's prefix; keys not yet cached are loaded.
     * Aliases whose key does not match its tags are skipped with a warning, never signed with.
     *
     * @throws SignetException UNAVAILABLE / RESOURCE_EXHAUSTED when KMS is down or throttling
     */
    @Override
    public List<SigningKey> list() {
        Map<String, String> kidToKeyId = aliasedKeys();
        List<SigningKey> keys = new ArrayList<>();
        for (Map.Entry<String, String> e : kidToKeyId.entrySet()) {
            KmsSigningKey cached = cache.get(e.getKey());
            if (cached == null || !sameKey(cached.keyArn(), e.getValue())) {
                try {
                    cached = loadAliased(e.getKey(), aliases.alias(e.getKey()));
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
        calls.call("DeleteAlias", () -> kms.deleteAlias(b -> b.aliasName(aliases.alias(id))));
        cache.remove(id);
        scheduleDeletion(key.keyArn());
    }

    /**
     * Finds this issuer's keys that have tags but no alias: left by a {@link #generate} that failed or whose
     * process died between CreateKey and CreateAlias. Such a key never signed anything (a key is returned to
     * callers only after its alias exists), so it is scheduled for deletion rather than adopted: adopting would
     * publish keys nobody asked for. Keys younger than {@code backend.orphan-grace} are left alone, because
     * another replica may be in the middle of generating them. Costs ListKeys plus ListResourceTags for every
     * key in the account and region without a Signet alias; run at open ({@code backend.reconcile-on-open}) or
     * from operations, not per request. Failures per key are collected and the sweep goes on.
     *
     * @return the KMS key ids scheduled for deletion
     * @throws SignetException UNAVAILABLE / RESOURCE_EXHAUSTED if listing fails
     */
    public List<String> reconcile() {
        Set<String> aliased = new HashSet<>();
        for (String keyId : aliasedKeys().values()) {
            aliased.add(bareKeyId(keyId));
        }
        List<String> scheduled = new ArrayList<>();
        Instant cutoff = clock.instant().minus(options.orphanGrace());
        String marker = null;
        do {
            String m = marker;
            ListKeysResponse page = calls.call("ListKeys", () -> kms.listKeys(b -> b.limit(PAGE).marker(m)));
            for (KeyListEntry entry : page.keys()) {
                if (aliased.contains(bareKeyId(entry.keyId()))) {
                    continue;
                }
                try {
                    if (isOrphan(entry.keyId(), cutoff)) {
                        scheduleDeletion(entry.keyId());
                        scheduled.add(entry.keyId());
                        LOG.log(System.Logger.Level.WARNING, "scheduled orphan KMS key {0} of issuer {1} for deletion"
                                + " in {2} days", entry.keyId(), aliases.slug(), options.deletionWindowDays());
                    }
                } catch (SignetException e) {
                    if (e.code() == SignetException.Code.UNAVAILABLE) {
                        throw e;
                    }
                    LOG.log(System.Logger.Level.WARNING, "reconcile skipped KMS key {0}: {1}", entry.keyId(),
                            e.getMessage());
                }
            }
            marker = Boolean.TRUE.equals(page.truncated()) ? page.nextMarker() : null;
        } while (marker != null);
        return scheduled;
    }

    /** Why signing would fail now: the circuit to KMS is open. Empty when closed. */
    @Override
    public Optional<String> degraded() {
        return switch (calls.breaker().state()) {
            case CLOSED -> Optional.empty();
            case OPEN -> Optional.of("AWS KMS unreachable: circuit open, next probe in "
                    + calls.breaker().retryAfter().toSeconds() + "s");
            case HALF_OPEN -> Optional.of("AWS KMS recovering: probing");
        };
    }

    @Override
    public void close() {
        kms.close();
    }

    @Override
    public String toString() {
        return "KmsKeyBackend[" + description + ", " + aliases.prefix() + "*]";
    }

    private boolean isOrphan(String keyId, Instant cutoff) {
        Map<String, String> tags = tags(keyId);
        if (!aliases.slug().equals(tags.get(AliasScheme.TAG_ISSUER))) {
            return false;
        }
        KeyMetadata meta = calls.call("DescribeKey", () -> kms.describeKey(b -> b.keyId(keyId))).keyMetadata();
        return meta.keyState() != KeyState.PENDING_DELETION && meta.keyState() != KeyState.PENDING_REPLICA_DELETION
                && meta.creationDate() != null && meta.creationDate().isBefore(cutoff);
    }

    /** kid → KMS key id of every alias under this issuer's prefix. */
    private Map<String, String> aliasedKeys() {
        Map<String, String> found = new HashMap<>();
        String marker = null;
        do {
            String m = marker;
            ListAliasesResponse page = calls.call("ListAliases", () -> kms.listAliases(b -> b.limit(PAGE).marker(m)));
            for (AliasListEntry a : page.aliases()) {
                Optional<String> kid = aliases.kidOf(a.aliasName());
                if (kid.isPresent() && a.targetKeyId() != null) {
                    found.put(kid.get(), a.targetKeyId());
                }
            }
            marker = Boolean.TRUE.equals(page.truncated()) ? page.nextMarker() : null;
        } while (marker != null);
        return found;
    }

    /** Loads the key an alias points to and checks that tags, algorithm and thumbprint all agree with the alias. */
    private KmsSigningKey loadAliased(String kid, String alias) {
        GetPublicKeyResponse pub;
        try {
            pub = calls.call("GetPublicKey", () -> kms.getPublicKey(b -> b.keyId(alias)));
        } catch (SignetException e) {
            throw e.code() == SignetException.Code.NOT_FOUND ? notFound(kid) : e;
        }
        Map<String, String> tags = tags(pub.keyId());
        String alg = tags.get(AliasScheme.TAG_ALG);
        if (!aliases.slug().equals(tags.get(AliasScheme.TAG_ISSUER)) || alg == null) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " points to a key without this issuer's"
                    + " signet tags; refusing to use it");
        }
        SigningAlgorithm algorithm;
        try {
            algorithm = SigningAlgorithm.parse(alg);
        } catch (SignetException e) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " has an unknown signet:alg " + alg);
        }
        KmsSigningKey key = fromPublicKey(pub, algorithm);
        if (!key.id().equals(kid)) {
            throw new SignetException(SignetException.Code.NOT_FOUND, alias + " points to a key whose thumbprint is "
                    + key.id() + "; refusing to use it");
        }
        return key;
    }

    private KmsSigningKey load(String keyId, SigningAlgorithm algorithm) {
        return fromPublicKey(calls.call("GetPublicKey", () -> kms.getPublicKey(b -> b.keyId(keyId))), algorithm);
    }

    private KmsSigningKey fromPublicKey(GetPublicKeyResponse pub, SigningAlgorithm algorithm) {
        String spec = keySpecOf(pub);
        if (!keySpec(algorithm).toString().equals(spec) || pub.keyUsage() != KeyUsageType.SIGN_VERIFY) {
            throw new SignetException(SignetException.Code.NOT_FOUND, "KMS key " + pub.keyId() + " is "
                    + spec + "/" + pub.keyUsageAsString() + ", not a " + algorithm + " signing key");
        }
        PublicKey publicKey = parsePublicKey(pub.publicKey().asByteArray(), algorithm);
        return new KmsSigningKey(Jwks.thumbprint(publicKey, algorithm), algorithm, publicKey, pub.keyId(), kms, calls,
                options.verifySignatures());
    }

    /** KMS sends KeySpec and its deprecated twin CustomerMasterKeySpec; moto sends only the latter. */
    @SuppressWarnings("deprecation")
    private static String keySpecOf(GetPublicKeyResponse pub) {
        return pub.keySpecAsString() != null ? pub.keySpecAsString() : pub.customerMasterKeySpecAsString();
    }

    static PublicKey parsePublicKey(byte[] spki, SigningAlgorithm algorithm) {
        String type = switch (algorithm) {
            case ES256 -> "EC";
            case EdDSA -> "Ed25519";
            case PS256, RS256 -> "RSA";
        };
        try {
            PublicKey key = KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(spki));
            // The key spec was checked already; this guards the thumbprint code against a lying peer.
            boolean fits = switch (key) {
                case ECPublicKey ec -> Curve.forECParameterSpec(ec.getParams()) == Curve.P_256;
                case RSAPublicKey rsa -> rsa.getModulus().bitLength() >= 2048;
                default -> algorithm == SigningAlgorithm.EdDSA;
            };
            if (!fits) {
                throw new SignetException(SignetException.Code.INTERNAL, "KMS returned a public key that does not fit "
                        + algorithm);
            }
            return key;
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "KMS returned an unreadable " + algorithm
                    + " public key", e);
        }
    }

    static KeySpec keySpec(SigningAlgorithm algorithm) {
        return switch (algorithm) {
            case ES256 -> KeySpec.ECC_NIST_P256;
            case EdDSA -> KeySpec.ECC_NIST_EDWARDS25519;
            case PS256, RS256 -> KeySpec.RSA_2048;
        };
    }

    private Map<String, String> tags(String keyId) {
        Map<String, String> tags = new HashMap<>();
        String marker = null;
        do {
            String m = marker;
            ListResourceTagsResponse page = calls.call("ListResourceTags",
                    () -> kms.listResourceTags(b -> b.keyId(keyId).marker(m)));
            page.tags().forEach(t -> tags.put(t.tagKey(), t.tagValue()));
            marker = Boolean.TRUE.equals(page.truncated()) ? page.nextMarker() : null;
        } while (marker != null);
        return tags;
    }

    private void scheduleDeletion(String keyId) {
        calls.call("ScheduleKeyDeletion", () -> kms.scheduleKeyDeletion(b -> b.keyId(keyId)
                .pendingWindowInDays(options.deletionWindowDays())));
    }

    private static Tag tag(String key, String value) {
        return Tag.builder().tagKey(key).tagValue(value).build();
    }

    /** GetPublicKey returns an ARN, ListAliases a bare id: compare the id part. */
    private static boolean sameKey(String a, String b) {
        return bareKeyId(a).equals(bareKeyId(b));
    }

    private static String bareKeyId(String arnOrId) {
        int slash = arnOrId.lastIndexOf(":key/");
        return slash < 0 ? arnOrId : arnOrId.substring(slash + ":key/".length());
    }

    private static SignetException notFound(String id) {
        return new SignetException(SignetException.Code.NOT_FOUND, "no KMS key " + id + " for this issuer");
    }
}
