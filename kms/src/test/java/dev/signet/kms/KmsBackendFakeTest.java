package dev.signet.kms;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract and every KMS test body against {@link FakeKms}: all four algorithms (the fake signs PSS with the
 * RFC 7518 salt and has Ed25519, which moto has not), listings of several pages, and KMS's key-state rules, which
 * moto does not enforce. Throttling and server errors here go through the same SDK exception types the real
 * client throws; {@code KmsQuotaTest} checks that the SDK produces them from KMS's wire answers.
 */
class KmsBackendFakeTest extends KmsBackendTestBase {

    /** Where a hung fake call ends; the backend's own call-timeout setting only configures the SDK client. */
    private static final Duration FAKE_CALL_TIMEOUT = Duration.ofMillis(200);

    private final FakeKms fake = new FakeKms(clock, FAKE_CALL_TIMEOUT);
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());

    @Override
    protected KmsKeyBackend openOver(BackendSettings settings) {
        KmsOptions options = KmsOptions.from(settings);
        KmsKeyBackendProvider.credentials(settings);
        return KmsKeyBackendProvider.over(fake, settings, options, sleeps::add, "fake");
    }

    @Override
    protected KmsAdmin newAdmin() {
        return fake;
    }

    @Override
    protected void peerDown() {
        fake.down(true);
    }

    @Override
    protected void peerUp() {
        fake.down(false);
    }

    @Override
    protected void freeze() {
        fake.hang();
    }

    @Override
    protected void thaw() {
        fake.thaw();
    }

    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.allOf(SigningAlgorithm.class);
    }

    @Test
    void listingsFollowEveryPage() {
        for (int i = 0; i < 5; i++) {
            backend.generate(SigningAlgorithm.ES256);
        }
        int before = fake.requests("ListAliases");
        assertEquals(5, backend.list().size());
        assertEquals(3, fake.requests("ListAliases") - before, "5 aliases, 2 a page");
    }

    @Test
    void throttlingIsRetriedWithJitteredBackoffThenRefusedWithRetryAfter() {
        try (KmsKeyBackend b = openWith(Map.of("max-attempts", "3"))) {
            SigningKey key = b.generate(SigningAlgorithm.ES256);
            fake.throttle(2);
            key.sign(INPUT);
            assertEquals(2, sleeps.size(), "two backoffs before the third attempt went through");
            fake.throttle(3);
            SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
            assertEquals(SignetException.Code.RESOURCE_EXHAUSTED, e.code());
            assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow());
            assertNoInternals(e.getMessage());
            assertTrue(b.degraded().isEmpty(), "throttling is not an outage");
        }
    }

    @Test
    void serverErrorsAreAnOutageThatTheNextAnswerClears() {
        SigningKey key = backend.generate(SigningAlgorithm.ES256);
        fake.serverErrors(1);
        SignetException e = assertThrows(SignetException.class, () -> key.sign(INPUT));
        assertEquals(SignetException.Code.UNAVAILABLE, e.code());
        assertNoInternals(e.getMessage());
        assertTrue(kms().degraded().orElseThrow().contains("did not answer the last 1"), kms().degraded().get());
        key.sign(INPUT);
        assertTrue(kms().degraded().isEmpty());
    }

    @Test
    void aKeyThatCannotBeAliasedIsScheduledForDeletionAtOnce() {
        fake.refuse("TagResource", "AccessDeniedException");
        SignetException e = assertThrows(SignetException.class, () -> backend.generate(SigningAlgorithm.ES256));
        assertEquals(SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("AccessDeniedException"), "operators see the AWS code: " + e.getMessage());
        assertEquals(1, fake.keyCount());
        assertEquals(1, fake.requests("ScheduleKeyDeletion"));
        assertEquals(List.of(), backend.list());
    }
}
