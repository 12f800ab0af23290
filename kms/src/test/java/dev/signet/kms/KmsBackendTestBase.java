package dev.signet.kms;

import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.JcaSigningKey;
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
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.services.kms.model.KeyState;

import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract suite plus what only a shared, remote key store must do (replicas and restarts see the same keys,
 * orphans are cleaned up, aliases are checked, a key lost behind Signet's back is a server-side fault), run
 * against any KMS peer: moto, LocalStack where Docker exists, and the in-process {@link FakeKms}. Each test uses
 * its own issuer, so tests never see each other's keys.
 */
abstract class KmsBackendTestBase extends KeyBackendContract {

    static final String ACCESS_KEY = "AKIASIGNETTESTKEY01";
    static final String SECRET_KEY = "signet-test-secret-0123456789abcdefghij";
    static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".getBytes(StandardCharsets.US_ASCII);
    /** Far beyond any call timeout the hang tests set, far below a hang: the configured timeout ends the call. */
    static final Duration HANG_DEADLINE = Duration.ofSeconds(30);

    protected final String issuer = "https://issuer.test/" + UUID.randomUUID();
    protected final MutableClock clock = new MutableClock(Instant.now());
    private KmsAdmin admin;

    /** The endpoint of a peer reached over HTTP (moto, LocalStack); null for the in-process fake. */
    protected URI endpoint() {
        return null;
    }

    protected String region() {
        return "us-east-1";
    }

    /** Settings every backend of this test is opened with; tests add to them. */
    protected Map<String, String> values() {
        Map<String, String> v = new HashMap<>();
        if (endpoint() != null) {
            v.put("region", region());
            v.put("endpoint", endpoint().toString());
        }
        v.put("access-key-id-env", "TEST_KMS_ACCESS_KEY");
        v.put("secret-access-key-env", "TEST_KMS_SECRET_KEY");
        v.put("algorithms", String.join(",", expectedAlgorithms().stream().map(Enum::name).sorted().toList()));
        v.put("max-requests-per-second", "1000");
        v.put("call-timeout", "5s");
        v.put("reconcile-on-open", "false");
        // Tests run the key check by hand (checkKeys), with the test clock.
        v.put("key-check-interval", "1h");
        return v;
    }

    protected BackendSettings settings(Map<String, String> values) {
        Map<String, String> env = Map.of("TEST_KMS_ACCESS_KEY", ACCESS_KEY, "TEST_KMS_SECRET_KEY", SECRET_KEY);
        return new BackendSettings(values, Path.of("/nonexistent"), issuer, clock, env::get);
    }

    @Override
    protected KeyBackend open() {
        return openWith(Map.of());
    }

    /** A backend over the peer under test, opened with exactly these settings; by default as the daemon does. */
    protected KmsKeyBackend openOver(BackendSettings settings) {
        return (KmsKeyBackend) KeyBackends.open("kms", settings);
    }

    /** A backend over the peer under test with {@link #values()} plus {@code extra}. */
    protected KmsKeyBackend openWith(Map<String, String> extra) {
        Map<String, String> v = values();
        v.putAll(extra);
        return openOver(settings(v));
    }

    /** A way to act on the peer behind Signet's back. */
    protected abstract KmsAdmin newAdmin();

    /** {@link #newAdmin()} for a peer over HTTP; {@code restart} makes it lose its state. */
    protected KmsAdmin sdkAdmin(SdkKmsAdmin.Restart restart) {
        return new SdkKmsAdmin(endpoint(), region(), ACCESS_KEY, SECRET_KEY, restart);
    }

    /** The peer stops answering (connections refused) / answers again with its state intact. */
    protected abstract void peerDown() throws Exception;

    protected abstract void peerUp() throws Exception;

    /** The peer accepts requests and never answers / answers again. */
    protected abstract void freeze() throws Exception;

    protected abstract void thaw() throws Exception;

    /** Whether the peer refuses Sign with a disabled key or one pending deletion, as KMS does (moto does not). */
    protected boolean peerEnforcesKeyState() {
        return true;
    }

    @Override
    protected List<String> secrets() {
        return List.of(ACCESS_KEY, SECRET_KEY);
    }

    protected KmsAdmin admin() {
        if (admin == null) {
            admin = newAdmin();
        }
        return admin;
    }

    @AfterEach
    void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    protected KmsKeyBackend kms() {
        return (KmsKeyBackend) backend;
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
        int before = admin().keyCount();
        backend.close();
        backend = open();
        List<SigningKey> listed = backend.list();
        String compact = signCompact(backend.get(key.id()), "{\"sub\":\"restart\"}");
        assertEquals(before, admin().keyCount(), "opening and listing must not create KMS keys");
        assertEquals(List.of(key.id()), listed.stream().map(SigningKey::id).toList());
        assertTrue(JwsVerification.verifies(compact, Jwks.publicJwk(key)));
    }

    /** What the rotation layer relies on to tell that an issuer already has keys (issue 11): list() is per issuer. */
    @Test
    void listShowsThisIssuersKeysOnlyEvenWhenAnotherIssuerSharesTheAccount() {
        SigningKey mine = backend.generate(firstAlgorithm());
        BackendSettings mySettings = settings(values());
        BackendSettings other = new BackendSettings(mySettings.values(), mySettings.dataDir(), issuer + "/other",
                clock, mySettings.env());
        try (KeyBackend neighbour = openOver(other)) {
            assertEquals(List.of(), neighbour.list(), "a new issuer in the same account has no keys");
            SigningKey theirs = neighbour.generate(firstAlgorithm());
            assertEquals(List.of(theirs.id()), neighbour.list().stream().map(SigningKey::id).toList());
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> backend.get(theirs.id())).code());
        }
        assertEquals(List.of(mine.id()), backend.list().stream().map(SigningKey::id).toList());
    }

    @Test
    void keysAreAliasedAndTaggedForTheIssuer() {
        SigningKey key = backend.generate(firstAlgorithm());
        String alias = new AliasScheme(issuer).alias(key.id());
        String keyId = admin().keyId(alias);
        assertEquals(Map.of(AliasScheme.TAG_ISSUER, AliasScheme.slug(issuer),
                AliasScheme.TAG_ALG, key.algorithm().name(), AliasScheme.TAG_KID, key.id()), admin().tags(keyId));
        assertTrue(alias.matches("alias/[a-zA-Z0-9/_-]+"), alias);
    }

    @Test
    void destroySchedulesDeletionWithTheConfiguredWindow() {
        try (KmsKeyBackend b = openWith(Map.of("deletion-window-days", "9"))) {
            SigningKey key = b.generate(firstAlgorithm());
            String keyId = ((KmsSigningKey) key).keyArn();
            Instant before = Instant.now();
            b.destroy(key.id());
            assertEquals(KeyState.PENDING_DELETION, admin().state(keyId));
            Duration window = Duration.between(before, admin().deletionDate(keyId));
            assertTrue(window.compareTo(Duration.ofDays(9).minusMinutes(5)) > 0
                    && window.compareTo(Duration.ofDays(9).plusMinutes(5)) < 0, "window " + window);
        }
    }

    @Test
    void orphanKeysOfThisIssuerAreScheduledForDeletionOnlyAfterTheGrace() {
        String orphan = createTaggedKey(AliasScheme.slug(issuer));
        String foreign = createTaggedKey(AliasScheme.slug(issuer + "/other"));
        SigningKey kept = backend.generate(firstAlgorithm());

        assertEquals(List.of(), kms().reconcile(), "a young orphan may be another replica's key being generated");
        clock.advance(Duration.ofHours(1));
        assertEquals(List.of(orphan), kms().reconcile().stream().map(KmsBackendTestBase::bareId).toList());

        assertEquals(KeyState.PENDING_DELETION, admin().state(orphan));
        assertEquals(KeyState.ENABLED, admin().state(foreign));
        assertEquals(kept.id(), backend.get(kept.id()).id());
        assertEquals(List.of(), kms().reconcile(), "a key pending deletion is not scheduled twice");
    }

    @Test
    void anAliasPointingToAKeyWithoutThisIssuersTagsIsNeverUsed() {
        SigningKey real = backend.generate(firstAlgorithm());
        String stranger = admin().createKey(KeyLoader.keySpec(firstAlgorithm()), Map.of());
        char[] fake = real.id().toCharArray();
        fake[0] = fake[0] == 'A' ? 'B' : 'A';
        String fakeKid = new String(fake);
        admin().createAlias(new AliasScheme(issuer).alias(fakeKid), stranger);

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
        assertTrue(JcaSigningKey.verifies(key.publicKey(), key.algorithm(), max, sig));
        SignetException e = assertThrows(SignetException.class,
                () -> key.sign(new byte[KmsSigningKey.MAX_RAW_MESSAGE + 1]));
        assertEquals(SignetException.Code.PAYLOAD_TOO_LARGE, e.code());
    }

    @Test
    void badSettingsAreRefusedAtOpen() {
        assertEquals(SignetException.Code.INVALID_ARGUMENT, assertThrows(SignetException.class,
                () -> openOver(settings(without("secret-access-key-env")))).code());
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> openWith(Map.of("deletion-window-days", "3"))).code());
        SignetException e = assertThrows(SignetException.class,
                () -> openWith(Map.of("secret-access-key", SECRET_KEY)));
        assertFalse(e.getMessage().contains(SECRET_KEY), "errors never echo a secret");
    }

    @Test
    void anOutageOpensTheCircuitFailsFastAndRecoversWhenKmsReturns() throws Exception {
        try (KmsKeyBackend b = openWith(Map.of("breaker-failures", "3", "breaker-cool-down", "30s"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            assertEquals(dev.signet.spi.KeyBackend.Circuit.CLOSED, b.circuit());
            peerDown();
            try {
                for (int i = 0; i < 3; i++) {
                    SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
                    assertEquals(SignetException.Code.UNAVAILABLE, e.code());
                    assertTrue(e.retryAfter().isPresent());
                    assertNoInternals(e.getMessage());
                }
                assertTrue(b.degraded().orElseThrow().contains("circuit open"));
                assertEquals(dev.signet.spi.KeyBackend.Circuit.OPEN, b.circuit(), "the metric and /ui show it");
                assertNoInternals(b.degraded().orElseThrow());
            } finally {
                peerUp();
            }
            // KMS is back but the cool-down has not passed: no request goes out.
            SignetException open = assertThrows(SignetException.class, () -> b.generate(SigningAlgorithm.ES256));
            assertEquals(SignetException.Code.UNAVAILABLE, open.code());
            assertEquals(Duration.ofSeconds(30), open.retryAfter().orElseThrow());
            assertTrue(open.getMessage().contains("circuit open"), open.getMessage());

            clock.advance(Duration.ofSeconds(30));
            SigningKey fresh = b.generate(SigningAlgorithm.ES256);
            assertTrue(b.degraded().isEmpty());
            assertEquals(dev.signet.spi.KeyBackend.Circuit.CLOSED, b.circuit());
            assertTrue(JwsVerification.verifies(signCompact(fresh, "{\"sub\":\"recovered\"}"), Jwks.publicJwk(fresh)));
        }
    }

    /** Readiness must say DOWN while KMS is down even when no minter is asking (issue 11). */
    @Test
    void theKeyCheckNoticesAnOutageWithoutSigningTraffic() throws Exception {
        SigningKey key = backend.generate(firstAlgorithm());
        assertTrue(kms().degraded().isEmpty());
        peerDown();
        try {
            kms().checkKeys();
            String why = kms().degraded().orElseThrow(() -> new AssertionError("an outage must degrade the backend"));
            assertTrue(why.contains("did not answer"), why);
            assertNoInternals(why);
        } finally {
            peerUp();
        }
        kms().checkKeys();
        assertTrue(kms().degraded().isEmpty(), "answers again: " + kms().degraded());
        assertEquals(key.id(), backend.get(key.id()).id());
    }

    /**
     * Issue 11: a KMS that lost the key (moto restarted, key deleted) used to answer every mint with 404 forever and
     * keep readiness UP. Now signing is UNAVAILABLE with Retry-After (503), and the backend is degraded, naming the
     * key, until another key signs (after the runbook's emergency rotation).
     */
    @Test
    void aKeyLostAtRuntimeIsAServerFaultAndDegradesUntilAnotherKeySigns() throws Exception {
        SigningKey lost = backend.generate(firstAlgorithm());
        lost.sign(INPUT);
        admin().loseEverything();

        SignetException e = assertThrows(SignetException.class, () -> lost.sign(INPUT));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code(), "never 404 to a minter");
        assertTrue(e.retryAfter().orElseThrow().isPositive());
        assertNoInternals(e.getMessage());
        String why = kms().degraded().orElseThrow(() -> new AssertionError("a lost signing key must degrade"));
        assertTrue(why.contains(lost.id()) && why.contains("no longer exists"), why);
        kms().checkKeys();
        assertTrue(kms().degraded().isPresent(), "the check agrees: still gone");

        SigningKey replacement = backend.generate(firstAlgorithm());
        assertTrue(kms().degraded().isPresent(), "generating is not signing yet");
        assertTrue(JcaSigningKey.verifies(replacement.publicKey(), replacement.algorithm(), INPUT,
                replacement.sign(INPUT)));
        assertTrue(kms().degraded().isEmpty(), "the replacement signs: " + kms().degraded());
    }

    @Test
    void aDisabledKeyIsFoundByTheKeyCheckAndClearedWhenEnabledAgain() {
        SigningKey key = backend.generate(firstAlgorithm());
        key.sign(INPUT);
        String keyId = ((KmsSigningKey) key).keyArn();
        admin().disable(keyId);
        kms().checkKeys();
        String why = kms().degraded().orElseThrow(() -> new AssertionError("a disabled signing key must degrade"));
        assertTrue(why.contains(key.id()) && why.contains("Disabled"), why);
        if (peerEnforcesKeyState()) {
            SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(kms().degraded().orElseThrow().contains("disabled"));
        }
        admin().enable(keyId);
        kms().checkKeys();
        assertTrue(kms().degraded().isEmpty(), "enabled again: " + kms().degraded());
        assertTrue(JcaSigningKey.verifies(key.publicKey(), key.algorithm(), INPUT, key.sign(INPUT)));
    }

    @Test
    void aKeyScheduledForDeletionBehindSignetsBackIsUnusable() {
        SigningKey key = backend.generate(firstAlgorithm());
        key.sign(INPUT);
        admin().scheduleDeletion(((KmsSigningKey) key).keyArn());
        kms().checkKeys();
        String why = kms().degraded().orElseThrow(() -> new AssertionError("a key pending deletion must degrade"));
        assertTrue(why.contains(key.id()) && why.contains("PendingDeletion"), why);
        if (peerEnforcesKeyState()) {
            SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            // A restart must not silently carry on without the key either: get says why and what to do.
            try (KeyBackend restarted = open()) {
                SignetException g = assertThrows(SignetException.class, () -> restarted.get(key.id()));
                assertEquals(SignetException.Code.UNAVAILABLE, g.code());
                assertTrue(g.getMessage().contains("cancel its deletion"), g.getMessage());
            }
        }
    }

    @Test
    void anUnusableKeyStopsCountingOnceItHasNotBeenAskedToSignForFourCheckIntervals() {
        SigningKey key = backend.generate(firstAlgorithm());
        key.sign(INPUT);
        admin().disable(((KmsSigningKey) key).keyArn());
        kms().checkKeys();
        assertTrue(kms().degraded().isPresent());
        clock.advance(Duration.ofHours(4).plusSeconds(1));
        assertTrue(kms().degraded().isEmpty(), "after an emergency rotation readiness must come back without traffic");
    }

    /**
     * The configured call timeout, not the peer, ends a hung call: the cause is a timeout, and the call returns long
     * before {@link #HANG_DEADLINE} although the peer never answers. No bound on this machine's speed is asserted.
     */
    @Test
    void aHungKmsIsCutOffAtTheCallTimeout() throws Exception {
        try (KmsKeyBackend b = openWith(Map.of("call-timeout", "500ms"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            freeze();
            long started = System.nanoTime();
            SignetException e;
            try {
                e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            } finally {
                thaw();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(SignetException.Code.UNAVAILABLE, e.code());
            assertTrue(endedByTimeout(e), "the call timeout ended the call: " + chain(e));
            assertTrue(took.compareTo(HANG_DEADLINE) < 0, "waited " + took);
            assertTrue(JcaSigningKey.verifies(key.publicKey(), key.algorithm(), INPUT, key.sign(INPUT)));
        }
    }

    protected SigningAlgorithm firstAlgorithm() {
        return expectedAlgorithms().contains(SigningAlgorithm.ES256) ? SigningAlgorithm.ES256
                : expectedAlgorithms().iterator().next();
    }

    /** Minters see these messages: no SDK classes, no AWS error codes, no hosts. */
    static void assertNoInternals(String message) {
        for (String internal : List.of("Exception", "Sdk", "127.0.0.1", "arn:aws")) {
            assertFalse(message.contains(internal), "'" + internal + "' in: " + message);
        }
    }

    static boolean endedByTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ApiCallTimeoutException || c instanceof ApiCallAttemptTimeoutException
                    || c instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getClass().getSimpleName()).append(" <- ");
        }
        return b.toString();
    }

    private Map<String, String> without(String key) {
        Map<String, String> v = values();
        v.remove(key);
        return v;
    }

    private String createTaggedKey(String slug) {
        return admin().createKey(KeyLoader.keySpec(firstAlgorithm()), Map.of(AliasScheme.TAG_ISSUER, slug,
                AliasScheme.TAG_ALG, firstAlgorithm().name()));
    }

    static String bareId(String arnOrId) {
        return arnOrId.substring(arnOrId.lastIndexOf('/') + 1);
    }
}
