package dev.signet.kms;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendContract;
import dev.signet.spi.KeyBackends;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.Tag;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract suite plus what only a shared, remote key store must do (replicas and restarts see the same keys,
 * orphans are cleaned up, aliases are checked), run against any KMS-compatible endpoint: moto here, LocalStack
 * where Docker exists. Each test uses its own issuer, so tests never see each other's keys.
 */
abstract class KmsBackendTestBase extends KeyBackendContract {

    static final String ACCESS_KEY = "AKIASIGNETTESTKEY01";
    static final String SECRET_KEY = "signet-test-secret-0123456789abcdefghij";

    protected final String issuer = "https://issuer.test/" + UUID.randomUUID();
    protected final MutableClock clock = new MutableClock(Instant.now());
    private KmsClient admin;

    /** The KMS endpoint under test. */
    protected abstract URI endpoint();

    protected String region() {
        return "us-east-1";
    }

    /** Settings every backend of this test is opened with; tests add to them. */
    protected Map<String, String> values() {
        Map<String, String> v = new HashMap<>();
        v.put("region", region());
        v.put("endpoint", endpoint().toString());
        v.put("access-key-id-env", "TEST_KMS_ACCESS_KEY");
        v.put("secret-access-key-env", "TEST_KMS_SECRET_KEY");
        v.put("algorithms", String.join(",", expectedAlgorithms().stream().map(Enum::name).sorted().toList()));
        v.put("max-requests-per-second", "1000");
        v.put("call-timeout", "5s");
        v.put("reconcile-on-open", "false");
        return v;
    }

    protected BackendSettings settings(Map<String, String> values) {
        Map<String, String> env = Map.of("TEST_KMS_ACCESS_KEY", ACCESS_KEY, "TEST_KMS_SECRET_KEY", SECRET_KEY);
        return new BackendSettings(values, Path.of("/nonexistent"), issuer, clock, env::get);
    }

    /** Through ServiceLoader, as the daemon opens it. */
    @Override
    protected KeyBackend open() {
        return KeyBackends.open("kms", settings(values()));
    }

    protected KmsKeyBackend openWith(Map<String, String> extra) {
        Map<String, String> v = values();
        v.putAll(extra);
        return (KmsKeyBackend) KeyBackends.open("kms", settings(v));
    }

    @Override
    protected List<String> secrets() {
        return List.of(ACCESS_KEY, SECRET_KEY);
    }

    /** A client outside the backend, to look at KMS as an operator would. */
    protected KmsClient admin() {
        if (admin == null) {
            admin = KmsClient.builder().endpointOverride(endpoint()).region(Region.of(region()))
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                            SECRET_KEY)))
                    .build();
        }
        return admin;
    }

    @AfterEach
    void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    protected int kmsKeyCount() {
        return admin().listKeysPaginator(b -> b.limit(100)).stream().mapToInt(p -> p.keys().size()).sum();
    }

    @Test
    void aSecondReplicaSeesTheSameKeysAndSignsWithThem() {
        SigningKey key = backend.generate(firstAlgorithm());
        try (KeyBackend replica = open()) {
            List<String> ids = replica.list().stream().map(SigningKey::id).toList();
            assertEquals(List.of(key.id()), ids, "the replica lists exactly this issuer's key");
            String compact = signCompact(replica.get(key.id()), "{\"sub\":\"replica\"}");
            assertTrue(JwsVerification.verifies(compact, Jwks.publicJwk(key)));
        }
    }

    @Test
    void aRestartReusesTheKmsKeyAndCreatesNone() {
        SigningKey key = backend.generate(firstAlgorithm());
        int before = kmsKeyCount();
        backend.close();
        backend = open();
        List<SigningKey> listed = backend.list();
        String compact = signCompact(backend.get(key.id()), "{\"sub\":\"restart\"}");
        assertEquals(before, kmsKeyCount(), "opening and listing must not create KMS keys");
        assertEquals(List.of(key.id()), listed.stream().map(SigningKey::id).toList());
        assertTrue(JwsVerification.verifies(compact, Jwks.publicJwk(key)));
    }

    @Test
    void keysAreAliasedAndTaggedForTheIssuer() {
        SigningKey key = backend.generate(firstAlgorithm());
        String alias = new AliasScheme(issuer).alias(key.id());
        String keyId = admin().describeKey(b -> b.keyId(alias)).keyMetadata().keyId();
        Map<String, String> tags = new HashMap<>();
        admin().listResourceTags(b -> b.keyId(keyId)).tags().forEach(t -> tags.put(t.tagKey(), t.tagValue()));
        assertEquals(Map.of(AliasScheme.TAG_ISSUER, AliasScheme.slug(issuer),
                AliasScheme.TAG_ALG, key.algorithm().name(), AliasScheme.TAG_KID, key.id()), tags);
        assertTrue(alias.matches("alias/[a-zA-Z0-9/_-]+"), alias);
    }

    @Test
    void destroySchedulesDeletionWithTheConfiguredWindow() {
        try (KmsKeyBackend b = openWith(Map.of("deletion-window-days", "9"))) {
            SigningKey key = b.generate(firstAlgorithm());
            String keyId = ((KmsSigningKey) key).keyArn();
            Instant before = Instant.now();
            b.destroy(key.id());
            var meta = admin().describeKey(r -> r.keyId(keyId)).keyMetadata();
            assertEquals(KeyState.PENDING_DELETION, meta.keyState());
            Duration window = Duration.between(before, meta.deletionDate());
            assertTrue(window.compareTo(Duration.ofDays(9).minusMinutes(5)) > 0
                    && window.compareTo(Duration.ofDays(9).plusMinutes(5)) < 0, "window " + window);
        }
    }

    @Test
    void orphanKeysOfThisIssuerAreScheduledForDeletionOnlyAfterTheGrace() {
        String orphan = createTaggedKey(AliasScheme.slug(issuer));
        String foreign = createTaggedKey(AliasScheme.slug(issuer + "/other"));
        SigningKey kept = backend.generate(firstAlgorithm());
        KmsKeyBackend b = (KmsKeyBackend) backend;

        assertEquals(List.of(), b.reconcile(), "a young orphan may be another replica's key being generated");
        clock.advance(Duration.ofHours(1));
        assertEquals(List.of(orphan), b.reconcile().stream().map(KmsBackendTestBase::bareId).toList());

        assertEquals(KeyState.PENDING_DELETION, admin().describeKey(r -> r.keyId(orphan)).keyMetadata().keyState());
        assertEquals(KeyState.ENABLED, admin().describeKey(r -> r.keyId(foreign)).keyMetadata().keyState());
        assertEquals(kept.id(), backend.get(kept.id()).id());
        assertEquals(List.of(), b.reconcile(), "a key pending deletion is not scheduled twice");
    }

    @Test
    void anAliasPointingToAKeyWithoutThisIssuersTagsIsNeverUsed() {
        SigningKey real = backend.generate(firstAlgorithm());
        String stranger = admin().createKey(r -> r.keySpec(keySpec(firstAlgorithm()))
                .keyUsage(KeyUsageType.SIGN_VERIFY)).keyMetadata().keyId();
        char[] fake = real.id().toCharArray();
        fake[0] = fake[0] == 'A' ? 'B' : 'A';
        String fakeKid = new String(fake);
        admin().createAlias(r -> r.aliasName(new AliasScheme(issuer).alias(fakeKid)).targetKeyId(stranger));

        try (KeyBackend fresh = open()) {
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> fresh.get(fakeKid)).code());
            assertEquals(List.of(real.id()), fresh.list().stream().map(SigningKey::id).toList());
        }
    }

    @Test
    void inputsLongerThanTheKmsRawLimitAreRefusedAndTheLimitItselfSigns() {
        SigningKey key = backend.generate(firstAlgorithm());
        byte[] max = new byte[KmsSigningKey.MAX_RAW_MESSAGE];
        Arrays.fill(max, (byte) 'a');
        byte[] sig = key.sign(max);
        assertTrue(KmsSigningKey.verifies(key.publicKey(), key.algorithm(), max, sig));
        SignetException e = assertThrows(SignetException.class,
                () -> key.sign(new byte[KmsSigningKey.MAX_RAW_MESSAGE + 1]));
        assertEquals(SignetException.Code.PAYLOAD_TOO_LARGE, e.code());
    }

    @Test
    void badSettingsAreRefusedAtOpen() {
        Map<String, String> v = values();
        v.remove("secret-access-key-env");
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> KeyBackends.open("kms", settings(v))).code());
        Map<String, String> w = values();
        w.put("deletion-window-days", "3");
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> KeyBackends.open("kms", settings(w))).code());
        Map<String, String> x = values();
        x.put("secret-access-key", SECRET_KEY);
        SignetException e = assertThrows(SignetException.class, () -> KeyBackends.open("kms", settings(x)));
        assertFalse(e.getMessage().contains(SECRET_KEY), "errors never echo a secret");
    }

    protected SigningAlgorithm firstAlgorithm() {
        return expectedAlgorithms().contains(SigningAlgorithm.ES256) ? SigningAlgorithm.ES256
                : expectedAlgorithms().iterator().next();
    }

    private String createTaggedKey(String slug) {
        return admin().createKey(r -> r.keySpec(keySpec(firstAlgorithm())).keyUsage(KeyUsageType.SIGN_VERIFY)
                .tags(Tag.builder().tagKey(AliasScheme.TAG_ISSUER).tagValue(slug).build(),
                        Tag.builder().tagKey(AliasScheme.TAG_ALG).tagValue(firstAlgorithm().name()).build()))
                .keyMetadata().keyId();
    }

    private static KeySpec keySpec(SigningAlgorithm alg) {
        return KmsKeyBackend.keySpec(alg);
    }

    static String bareId(String arnOrId) {
        return arnOrId.substring(arnOrId.lastIndexOf('/') + 1);
    }

}
