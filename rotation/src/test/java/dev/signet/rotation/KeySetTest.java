package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KeySetTest {

    private static final RotationPolicy POLICY = Fixtures.DAILY;
    private static final Instant T0 = Fixtures.START;
    private static final Duration LEAD = POLICY.prepublishLead();

    private static KeySet started() {
        return KeySet.empty().toBuilder().prepare("a", SigningAlgorithm.ES256, T0, T0)
                .activate("a", T0, T0.plus(POLICY.rotationPeriod()), Lifecycle.BOOTSTRAP).build();
    }

    @Test
    void buildingAChangeAddsOneToTheVersionAndLeavesTheOriginalAlone() {
        KeySet one = started();
        KeySet two = one.toBuilder().prepare("b", SigningAlgorithm.ES256, T0, T0.plus(LEAD)).build();
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
        assertThrows(IllegalArgumentException.class, () -> new KeyRecord.Builder("k", SigningAlgorithm.ES256,
                KeyState.ACTIVE, T0).build(), "ACTIVE without times");
    }

    @Test
    void theBuilderChecksStructureNotTheSchedule() {
        KeySet set = started().toBuilder().prepare("b", SigningAlgorithm.ES256, T0, T0.plus(LEAD)).build();
        assertThrows(IllegalArgumentException.class, () -> set.toBuilder()
                .activate("b", T0, T0.plus(LEAD), null).build(), "two ACTIVE keys: retire the old one first");
        KeySet swapped = set.toBuilder().retire("a", T0, T0.plus(LEAD)).activate("b", T0, T0.plus(LEAD), "why").build();
        assertEquals(KeyState.RETIRED, swapped.find("a").orElseThrow().state());
        assertEquals("why", swapped.active().orElseThrow().forcedBecause());
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder().prepare("c", SigningAlgorithm.ES256, T0, T0)).code(), "one PREPARED at a time");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder().retire("b", T0, T0)).code(), "only the ACTIVE key retires");
    }

    @Test
    void onlyLegalTransitionsAndKnownKids() {
        KeySet set = started();
        assertEquals(SignetException.Code.NOT_FOUND, assertThrows(SignetException.class,
                () -> set.toBuilder().revoke("nope", T0, "x")).code());
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder().remove("a", T0)).code(), "ACTIVE cannot be removed before retiring");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder().destroyed("a", T0)).code(), "a published key cannot be destroyed");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> set.toBuilder().activate("a", T0, T0, "x")).code(), "ACTIVE is not PREPARED");
    }

    @Test
    void theJournalTextRoundTrips() {
        KeySet set = started().toBuilder().prepare("b", SigningAlgorithm.EdDSA, T0, T0.plus(LEAD))
                .revoke("b", T0, "why\tnot\n-").build();
        KeySet read = KeySetCodec.decode(KeySetCodec.encode(set));
        assertEquals(set, read);
        String legacy = "signet-keyset 1\nversion\t1\na\tES256\tACTIVE\t" + T0 + "\t" + T0 + "\t" + T0 + "\t"
                + T0.plus(POLICY.rotationPeriod()) + "\t-\t-\t-\t-\tbootstrap%3A+the+issuer%27s+first+key\t-\n";
        assertEquals(started(), KeySetCodec.decode(legacy), "journals written before the end line still read");
        KeySet dash = started().toBuilder().prepare("c", SigningAlgorithm.ES256, T0, T0).revoke("c", T0, "-").build();
        assertEquals(dash, KeySetCodec.decode(KeySetCodec.encode(dash)));
    }
}
