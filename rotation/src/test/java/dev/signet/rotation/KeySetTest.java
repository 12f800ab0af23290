package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KeySetTest {

    private static final RotationPolicy POLICY = Fixtures.DAILY;
    private static final Instant T0 = Fixtures.START;
    private static final Duration LEAD = POLICY.prepublishLead();

    private static KeySet started() {
        return KeySet.empty().toBuilder(POLICY).prepare("a", SigningAlgorithm.ES256, T0, T0)
                .activate("a", T0, Rotation.BOOTSTRAP).build();
    }

    @Test
    void buildingAChangeAddsOneToTheVersionAndLeavesTheOriginalAlone() {
        KeySet one = started();
        KeySet two = one.toBuilder(POLICY).prepare("b", SigningAlgorithm.ES256, T0, T0.plus(LEAD)).build();
        assertEquals(1, one.version());
        assertEquals(2, two.version());
        assertEquals(1, one.keys().size());
        assertEquals(2, two.keys().size());
    }

    @Test
    void constructorRefusesImpossibleJournals() {
        KeyRecord a = KeyRecord.prepared("a", SigningAlgorithm.ES256, T0, T0).activated(T0, T0.plus(LEAD), "x");
        KeyRecord b = KeyRecord.prepared("b", SigningAlgorithm.ES256, T0, T0).activated(T0, T0.plus(LEAD), "x");
        KeyRecord p1 = KeyRecord.prepared("p1", SigningAlgorithm.ES256, T0, T0);
        KeyRecord p2 = KeyRecord.prepared("p2", SigningAlgorithm.ES256, T0, T0);
        KeyRecord removed = a.retired(T0, T0).removed(T0);
        assertThrows(IllegalArgumentException.class, () -> new KeySet(1, List.of(a, a)), "duplicate kid");
        assertThrows(IllegalArgumentException.class, () -> new KeySet(1, List.of(a, b)), "two ACTIVE");
        assertThrows(IllegalArgumentException.class, () -> new KeySet(1, List.of(a, p1, p2)), "two PREPARED");
        assertThrows(IllegalArgumentException.class, () -> new KeySet(1, List.of(removed)), "nothing can sign");
        assertThrows(IllegalArgumentException.class, () -> new KeyRecord("k", SigningAlgorithm.ES256,
                KeyState.ACTIVE, T0, null, null, null, null, null, null, null, null, null), "ACTIVE without times");
    }

    @Test
    void activationBeforeTheLeadIsRefusedUnlessForcedAndTheForceIsRecorded() {
        KeySet set = started().toBuilder(POLICY).prepare("b", SigningAlgorithm.ES256, T0, T0.plus(LEAD)).build();
        Instant early = T0.plus(LEAD).minusSeconds(1);
        SignetException e = assertThrows(SignetException.class,
                () -> set.toBuilder(POLICY).activate("b", early, null));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());

        KeySet forced = set.toBuilder(POLICY).activate("b", early, "operator").build();
        assertEquals("operator", forced.active().orElseThrow().forcedBecause());
        assertEquals(KeyState.RETIRED, forced.find("a").orElseThrow().state());

        KeySet onTime = set.toBuilder(POLICY).activate("b", T0.plus(LEAD), "operator").build();
        assertNull(onTime.active().orElseThrow().forcedBecause(), "no force to record once the lead has passed");
    }

    @Test
    void onlyLegalTransitionsAndKnownKids() {
        KeySet set = started();
        assertEquals(SignetException.Code.NOT_FOUND, assertThrows(SignetException.class,
                () -> set.toBuilder(POLICY).revoke("nope", T0, "x")).code());
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder(POLICY).remove("a", T0)).code(), "ACTIVE cannot be removed before retiring");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder(POLICY).destroyed("a", T0)).code(), "a published key cannot be destroyed");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder(POLICY).activate("a", T0, "x")).code(), "ACTIVE is not PREPARED");
    }

    @Test
    void theJournalTextRoundTrips() {
        KeySet set = started().toBuilder(POLICY).prepare("b", SigningAlgorithm.EdDSA, T0, T0.plus(LEAD))
                .revoke("b", T0, "why\tnot\n-").build();
        KeySet read = KeySetCodec.decode(KeySetCodec.encode(set));
        assertEquals(set, read);
        KeySet dash = started().toBuilder(POLICY).prepare("c", SigningAlgorithm.ES256, T0, T0).revoke("c", T0, "-").build();
        assertEquals(dash, KeySetCodec.decode(KeySetCodec.encode(dash)));
    }
}
