package dev.signet.kms;

import dev.signet.spi.testing.RsaKeyPairs;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

import java.net.ConnectException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * AWS KMS in this process, for the {@link KmsApi} Signet uses: keys in memory with real JCA crypto (all four JOSE
 * algorithms, PSS with the 32-byte salt KMS uses), key states Enabled / Disabled / PendingDeletion enforced the way
 * KMS enforces them, tags, aliases, and listings two items a page so every pagination loop runs. Faults are the
 * SDK's own exceptions: scripted throttling and server errors, an outage (no connection), a hang that ends at
 * the client's call timeout, and {@link #loseEverything()} (a restarted emulator). Operator actions a test needs
 * (disable, enable, schedule deletion) are {@link KmsAdmin}.
 */
final class FakeKms implements KmsApi, KmsAdmin {

    static final String ARN_PREFIX = "arn:aws:kms:us-east-1:111122223333:key/";
    private static final int PAGE = 2;

    private static final class Key {
        final String id;
        final KeySpec spec;
        final KeyPair pair;
        final Instant created;
        final Map<String, String> tags = new LinkedHashMap<>();
        KeyState state = KeyState.ENABLED;
        Instant deletion;

        Key(String id, KeySpec spec, KeyPair pair, Instant created) {
            this.id = id;
            this.spec = spec;
            this.pair = pair;
            this.created = created;
        }
    }

    /** A scripted answer for the next request of {@code operation} (null: of any): HTTP status, AWS error code. */
    private record Fault(String operation, int status, String code) {
    }

    private final Clock clock;
    private final Duration callTimeout;
    // Guarded by this.
    private final Map<String, Key> keys = new LinkedHashMap<>();
    private final Map<String, String> aliases = new TreeMap<>();
    private final ConcurrentLinkedDeque<Fault> script = new ConcurrentLinkedDeque<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final AtomicInteger rsaKeys = new AtomicInteger();
    private volatile boolean down;
    private volatile CountDownLatch hang;

    /** @param callTimeout where a hung call ends, as the SDK's apiCallTimeout would end it */
    FakeKms(Clock clock, Duration callTimeout) {
        this.clock = clock;
        this.callTimeout = callTimeout;
    }

    // --- faults

    /** The next {@code n} requests are throttled (HTTP 400 ThrottlingException). */
    void throttle(int n) {
        for (int i = 0; i < n; i++) {
            script.add(new Fault(null, 400, "ThrottlingException"));
        }
    }

    /** The next {@code n} requests fail with HTTP 500 KMSInternalException. */
    void serverErrors(int n) {
        for (int i = 0; i < n; i++) {
            script.add(new Fault(null, 500, "KMSInternalException"));
        }
    }

    /** The next request of {@code operation} is refused with HTTP 400 and {@code code}, e.g. AccessDeniedException. */
    void refuse(String operation, String code) {
        script.add(new Fault(operation, 400, code));
    }

    /** While down, every request fails as a refused connection does. */
    void down(boolean down) {
        this.down = down;
    }

    /** Requests block until {@link #thaw()} or the call timeout, which ends them as the SDK would. */
    void hang() {
        hang = new CountDownLatch(1);
    }

    void thaw() {
        CountDownLatch h = hang;
        hang = null;
        if (h != null) {
            h.countDown();
        }
    }

    /** Requests of {@code operation} that reached the fake (also those that failed). */
    int requests(String operation) {
        AtomicInteger n = requests.get(operation);
        return n == null ? 0 : n.get();
    }

    int requests() {
        return requests.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    // --- KmsAdmin

    @Override
    public synchronized void loseEverything() {
        keys.clear();
        aliases.clear();
    }

    @Override
    public synchronized String createKey(KeySpec spec, Map<String, String> tags) {
        return createKey(spec, "", tags).keyId();
    }

    @Override
    public synchronized String keyId(String aliasOrId) {
        return key(aliasOrId).id;
    }

    @Override
    public synchronized KeyState state(String keyId) {
        return key(keyId).state;
    }

    @Override
    public synchronized Instant deletionDate(String keyId) {
        return key(keyId).deletion;
    }

    @Override
    public synchronized Map<String, String> tags(String keyId) {
        return Map.copyOf(key(keyId).tags);
    }

    @Override
    public synchronized int keyCount() {
        return keys.size();
    }

    @Override
    public synchronized void disable(String keyId) {
        Key k = key(keyId);
        requireNotPendingDeletion(k);
        k.state = KeyState.DISABLED;
    }

    @Override
    public synchronized void enable(String keyId) {
        Key k = key(keyId);
        requireNotPendingDeletion(k);
        k.state = KeyState.ENABLED;
    }

    @Override
    public void scheduleDeletion(String keyId) {
        scheduleKeyDeletion(keyId, 7);
    }

    // --- KmsApi

    @Override
    public KeyMetadata createKey(KeySpec spec, String description, Map<String, String> tags) {
        enter("CreateKey");
        KeyPair pair = generate(spec);
        synchronized (this) {
            Key k = new Key(UUID.randomUUID().toString(), spec, pair, clock.instant());
            k.tags.putAll(tags);
            keys.put(k.id, k);
            return metadata(k);
        }
    }

    @Override
    public synchronized PublicKeyInfo getPublicKey(String keyIdOrAlias) {
        enter("GetPublicKey");
        Key k = usable(keyIdOrAlias);
        return new PublicKeyInfo(ARN_PREFIX + k.id, k.spec.toString(), KeyUsageType.SIGN_VERIFY,
                k.pair.getPublic().getEncoded());
    }

    @Override
    public byte[] sign(String keyId, SigningAlgorithmSpec algorithm, byte[] message) {
        enter("Sign");
        KeyPair pair;
        KeySpec spec;
        synchronized (this) {
            Key k = usable(keyId);
            pair = k.pair;
            spec = k.spec;
        }
        try {
            Signature s = switch (algorithm) {
                case ECDSA_SHA_256 -> spec == KeySpec.ECC_NIST_P256 ? Signature.getInstance("SHA256withECDSA") : null;
                case RSASSA_PKCS1_V1_5_SHA_256 -> spec == KeySpec.RSA_2048 ? Signature.getInstance("SHA256withRSA") : null;
                case RSASSA_PSS_SHA_256 -> {
                    if (spec != KeySpec.RSA_2048) {
                        yield null;
                    }
                    Signature pss = Signature.getInstance("RSASSA-PSS");
                    pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                    yield pss;
                }
                case ED25519_SHA_512 -> spec == KeySpec.ECC_NIST_EDWARDS25519 ? Signature.getInstance("Ed25519") : null;
                default -> null;
            };
            if (s == null) {
                throw error(KmsException.builder(), 400, "InvalidKeyUsageException",
                        algorithm + " is not valid for a " + spec + " key");
            }
            s.initSign(pair.getPrivate());
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized KeyMetadata describeKey(String keyId) {
        enter("DescribeKey");
        return metadata(key(keyId));
    }

    @Override
    public synchronized void tagResource(String keyId, Map<String, String> tags) {
        enter("TagResource");
        Key k = key(keyId);
        requireNotPendingDeletion(k);
        k.tags.putAll(tags);
    }

    @Override
    public synchronized void createAlias(String alias, String keyId) {
        enter("CreateAlias");
        if (aliases.containsKey(alias)) {
            throw error(AlreadyExistsException.builder(), 400, "AlreadyExistsException", alias + " exists");
        }
        Key k = key(keyId);
        requireNotPendingDeletion(k);
        aliases.put(alias, k.id);
    }

    @Override
    public synchronized void deleteAlias(String alias) {
        enter("DeleteAlias");
        if (aliases.remove(alias) == null) {
            throw notFound(alias);
        }
    }

    @Override
    public synchronized void scheduleKeyDeletion(String keyId, int pendingWindowDays) {
        enter("ScheduleKeyDeletion");
        if (pendingWindowDays < 7 || pendingWindowDays > 30) {
            throw error(KmsException.builder(), 400, "ValidationException", "PendingWindowInDays must be 7 to 30");
        }
        Key k = key(keyId);
        requireNotPendingDeletion(k);
        k.state = KeyState.PENDING_DELETION;
        k.deletion = clock.instant().plus(Duration.ofDays(pendingWindowDays));
    }

    @Override
    public synchronized Page<AliasListEntry> listAliases(String marker) {
        enter("ListAliases");
        List<AliasListEntry> all = new ArrayList<>();
        aliases.forEach((name, id) -> all.add(AliasListEntry.builder().aliasName(name).targetKeyId(id)
                .aliasArn("arn:aws:kms:us-east-1:111122223333:" + name).build()));
        return page(all, marker);
    }

    @Override
    public synchronized Page<KeyListEntry> listKeys(String marker) {
        enter("ListKeys");
        return page(keys.values().stream()
                .map(k -> KeyListEntry.builder().keyId(k.id).keyArn(ARN_PREFIX + k.id).build()).toList(), marker);
    }

    @Override
    public synchronized Page<Tag> listResourceTags(String keyId, String marker) {
        enter("ListResourceTags");
        return page(key(keyId).tags.entrySet().stream()
                .map(e -> Tag.builder().tagKey(e.getKey()).tagValue(e.getValue()).build()).toList(), marker);
    }

    @Override
    public void close() {
        // Keys outlive a client, as in KMS: a backend reopened over this fake sees them.
    }

    // --- internals

    /** Counts the request, then plays the faults in force. */
    private void enter(String operation) {
        requests.computeIfAbsent(operation, o -> new AtomicInteger()).incrementAndGet();
        if (down) {
            throw SdkClientException.builder().message("Unable to execute HTTP request: Connection refused")
                    .cause(new ConnectException("Connection refused")).build();
        }
        CountDownLatch h = hang;
        if (h != null) {
            try {
                if (!h.await(callTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw ApiCallTimeoutException.create(callTimeout.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw SdkClientException.create("interrupted", e);
            }
        }
        Fault f = script.peek();
        if (f != null && (f.operation() == null || f.operation().equals(operation)) && script.remove(f)) {
            throw f.status() >= 500 ? error(KmsInternalException.builder(), f.status(), f.code(), "scripted")
                    : error(KmsException.builder(), f.status(), f.code(), "scripted");
        }
    }

    private <T> Page<T> page(List<T> all, String marker) {
        int from = marker == null ? 0 : Integer.parseInt(marker);
        int to = Math.min(all.size(), from + PAGE);
        return new Page<>(all.subList(from, to), to < all.size() ? Integer.toString(to) : null);
    }

    /** By id, ARN or alias name. */
    private Key key(String ref) {
        String id = ref.startsWith("alias/") ? aliases.get(ref)
                : ref.startsWith(ARN_PREFIX) ? ref.substring(ARN_PREFIX.length()) : ref;
        Key k = id == null ? null : keys.get(id);
        if (k == null) {
            throw notFound(ref);
        }
        return k;
    }

    /** As KMS checks for GetPublicKey and Sign: Enabled only. */
    private Key usable(String ref) {
        Key k = key(ref);
        if (k.state == KeyState.DISABLED) {
            throw error(DisabledException.builder(), 400, "DisabledException", ARN_PREFIX + k.id + " is disabled.");
        }
        if (k.state != KeyState.ENABLED) {
            throw invalidState(k);
        }
        return k;
    }

    private static void requireNotPendingDeletion(Key k) {
        if (k.state == KeyState.PENDING_DELETION) {
            throw invalidState(k);
        }
    }

    private static RuntimeException invalidState(Key k) {
        return error(KmsInvalidStateException.builder(), 400, "KMSInvalidStateException",
                ARN_PREFIX + k.id + " is pending deletion.");
    }

    private static RuntimeException notFound(String ref) {
        return error(NotFoundException.builder(), 400, "NotFoundException", ref + " does not exist");
    }

    private static RuntimeException error(AwsServiceException.Builder b, int status, String code, String message) {
        return b.message(message).statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName("Kms")
                        .build())
                .build();
    }

    private KeyMetadata metadata(Key k) {
        return KeyMetadata.builder().keyId(k.id).arn(ARN_PREFIX + k.id).keySpec(k.spec)
                .keyUsage(KeyUsageType.SIGN_VERIFY).keyState(k.state).enabled(k.state == KeyState.ENABLED)
                .creationDate(k.created).deletionDate(k.deletion).build();
    }

    private static KeyPair rsaPair(int n) {
        return RsaKeyPairs.get(n);
    }

    private KeyPair generate(KeySpec spec) {
        Function<String, KeyPairGenerator> gen = alg -> {
            try {
                return KeyPairGenerator.getInstance(alg);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        };
        try {
            return switch (spec) {
                case ECC_NIST_P256 -> {
                    KeyPairGenerator g = gen.apply("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    yield g.generateKeyPair();
                }
                case RSA_2048 -> rsaPair(rsaKeys.getAndIncrement());
                case ECC_NIST_EDWARDS25519 -> gen.apply("Ed25519").generateKeyPair();
                default -> throw error(KmsException.builder(), 400, "ValidationException",
                        "the fake does not offer " + spec);
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
