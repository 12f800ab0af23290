package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The lifecycle as tables over (now, journal, policy): no clock, no disk, no backend. Daily rotation,
 * lead L = 1 h, retention R = 1 h 35 min.
 */
class LifecycleTest {

    static final RotationPolicy POLICY = Fixtures.DAILY;
    static final Instant T0 = Fixtures.START;
    static final Duration L = POLICY.prepublishLead();
    static final Duration P = POLICY.rotationPeriod();
    static final Duration R = POLICY.retention();
    static final Lifecycle.NewKey FRESH = new Lifecycle.NewKey("n", SigningAlgorithm.ES256);

    /** a ACTIVE since T0 (the bootstrap key), retiring at T0 + P. */
    static final KeySet STARTED = Lifecycle.step(T0, KeySet.empty(), POLICY, new Lifecycle.NewKey("a", SigningAlgorithm.ES256)).next();
    /** STARTED with b PREPARED on schedule at T0 + P − 2L, to activate at T0 + P. */
    static final KeySet WITH_NEXT = Lifecycle.step(at(P.minus(L.multipliedBy(2))), STARTED, POLICY,
            new Lifecycle.NewKey("b", SigningAlgorithm.ES256)).next();
    /** STARTED with b PREPARED late, half a lead before a retires. */
    static final KeySet LATE_NEXT = STARTED.toBuilder().prepare("b", SigningAlgorithm.ES256, at(P.minus(L.dividedBy(2))), at(P)).build();
    /** a lost: no ACTIVE key, b PREPARED at T0 (recovery). */
    static final KeySet RECOVERING = STARTED.toBuilder().revoke("a", T0, Lifecycle.LOST)
            .prepare("b", SigningAlgorithm.ES256, T0, T0.plus(L)).build();

    static Instant at(Duration sinceStart) {
        return T0.plus(sinceStart);
    }

    static String kid(java.util.Optional<KeyRecord> k) {
        return k.map(KeyRecord::kid).orElse(null);
    }

    static Stream<Arguments> prepareNext() {
        return Stream.of(
                arguments("empty journal", KeySet.empty(), T0, true),
                arguments("more than two leads before retirement", STARTED, at(P.minus(L.multipliedBy(2))).minusSeconds(1), false),
                arguments("two leads before retirement", STARTED, at(P.minus(L.multipliedBy(2))), true),
                arguments("a PREPARED key exists", WITH_NEXT, at(P.minus(L)), false),
                arguments("no ACTIVE key but a PREPARED one", RECOVERING, T0, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void prepareNext(String row, KeySet set, Instant now, boolean expected) {
        assertEquals(expected, Lifecycle.shouldPrepareNext(now, set, POLICY));
    }

    static Stream<Arguments> activateNext() {
        return Stream.of(
                arguments("no PREPARED key", STARTED, at(P.multipliedBy(2)), false),
                arguments("before the scheduled time", WITH_NEXT, at(P).minusSeconds(1), false),
                arguments("at the scheduled time", WITH_NEXT, at(P), true),
                arguments("prepared late: scheduled time but lead not passed", LATE_NEXT, at(P), false),
                arguments("prepared late: lead passed", LATE_NEXT, at(P.plus(L.dividedBy(2))), true),
                arguments("recovery: before the lead", RECOVERING, T0.plus(L).minusSeconds(1), false),
                arguments("recovery: only the lead counts", RECOVERING, T0.plus(L), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void activateNext(String row, KeySet set, Instant now, boolean expected) {
        assertEquals(expected, Lifecycle.shouldActivateNext(now, set, POLICY));
    }

    /** A journal with a RETIRED x (unpublishes at T0+R), a DESTROYED y (destroyed at T0) and a REVOKED z. */
    static KeySet withHistory() {
        return new KeySet(7, List.of(
                KeyRecord.prepared("x", SigningAlgorithm.ES256, T0, T0).activated(T0, T0, null).retired(T0, T0.plus(R)),
                KeyRecord.prepared("y", SigningAlgorithm.ES256, T0, T0).revoked(T0, "r", null).destroyed(T0),
                KeyRecord.prepared("z", SigningAlgorithm.ES256, T0, T0).revoked(T0, "r", null),
                KeyRecord.prepared("a", SigningAlgorithm.ES256, T0, T0).activated(T0, at(P), null)));
    }

    /** Row: journal, now, then the expected ACTIVE, PREPARED, keys to destroy, whether a key is asked for. */
    static Stream<Arguments> step() {
        return Stream.of(
                arguments("empty: ask for the first key", KeySet.empty(), T0, null, null, List.of(), true),
                arguments("nothing due", STARTED, at(Duration.ofHours(1)), "a", null, List.of(), false),
                arguments("successor due", STARTED, at(P.minus(L.multipliedBy(2))), "a", null, List.of(), true),
                arguments("activation due", WITH_NEXT, at(P), "b", null, List.of(), false),
                arguments("recovery activates after the lead", RECOVERING, T0.plus(L), "b", null, List.of("a"), false),
                arguments("retention over, prune not yet, revoked destroyed",
                        withHistory(), T0.plus(R), "a", null, List.of("x", "z"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void step(String row, KeySet set, Instant now, String active, String prepared, List<String> destroy,
              boolean generate) {
        Lifecycle.Plan plan = Lifecycle.step(now, set, POLICY);
        assertEquals(active, kid(plan.next().active()));
        assertEquals(prepared, kid(plan.next().prepared()));
        assertEquals(destroy, plan.destroy());
        assertEquals(generate, plan.generate());
    }

    @Test
    void stepWithNothingDueLeavesTheSameJournal() {
        assertSame(STARTED, Lifecycle.step(at(Duration.ofHours(1)), STARTED, POLICY).next());
        assertTrue(Lifecycle.step(at(Duration.ofHours(1)), STARTED, POLICY).idle());
    }

    @Test
    void theFirstKeyActivatesAtOnceRecordedAsBootstrap() {
        KeyRecord a = STARTED.active().orElseThrow();
        assertEquals(Lifecycle.BOOTSTRAP, a.forcedBecause());
        assertEquals(T0.plus(P), a.retires());
        assertEquals(1, STARTED.version());
    }

    @Test
    void theSuccessorIsScheduledForTheActiveKeysRetirement() {
        KeyRecord b = WITH_NEXT.prepared().orElseThrow();
        assertEquals(at(P), b.activates());
        assertEquals(at(P.minus(L.multipliedBy(2))), b.prepared());
    }

    @Test
    void aScheduledActivationRunningLateKeepsTheScheduleAndRetiresThePredecessor() {
        Instant late = at(P).plusSeconds(600);
        KeySet next = Lifecycle.step(late, WITH_NEXT, POLICY).next();
        KeyRecord b = next.active().orElseThrow();
        assertEquals(at(P.multipliedBy(2)), b.retires(), "retires one period after its scheduled activation");
        assertNull(b.forcedBecause());
        KeyRecord a = next.find("a").orElseThrow();
        assertEquals(KeyState.RETIRED, a.state());
        assertEquals(late.plus(R), a.unpublishes());
        // More than a lead late, the schedule restarts from the actual activation.
        Instant veryLate = at(P).plus(L).plusSeconds(1);
        assertEquals(veryLate.plus(P), Lifecycle.step(veryLate, WITH_NEXT, POLICY).next().active().orElseThrow().retires());
    }

    @Test
    void destroyedRecordsArePrunedOnePeriodLater() {
        assertTrue(Lifecycle.step(T0.plus(P).minusSeconds(1), withHistory(), POLICY).next().find("y").isPresent());
        assertTrue(Lifecycle.step(T0.plus(P), withHistory(), POLICY).next().find("y").isEmpty());
    }

    @Test
    void aKeyNobodyAskedForIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Lifecycle.step(T0, STARTED, POLICY, FRESH));
        assertThrows(IllegalArgumentException.class, () -> Lifecycle.rotate(T0, WITH_NEXT, POLICY, FRESH));
    }

    @Test
    void prepareAsksForAKeyAndSchedulesItAtTheActiveKeysRetirement() {
        Instant now = at(Duration.ofHours(2));
        Lifecycle.Plan ask = Lifecycle.prepare(now, STARTED, POLICY, null);
        assertTrue(ask.generate());
        assertSame(STARTED, ask.next(), "nothing journaled before the key exists");
        KeyRecord n = Lifecycle.prepare(now, STARTED, POLICY, FRESH).next().prepared().orElseThrow();
        assertEquals(at(P), n.activates());
        Instant late = at(P.minus(L.dividedBy(2)));
        assertEquals(late.plus(L), Lifecycle.prepare(late, STARTED, POLICY, FRESH).next().prepared().orElseThrow()
                .activates(), "never before one lead from now");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.prepare(now, WITH_NEXT, POLICY, null)).code(), "one PREPARED key at a time");
    }

    @Test
    void rotatePreparesForOneLeadFromNowOrReschedulesThePreparedKey() {
        Instant now = at(Duration.ofHours(2));
        assertTrue(Lifecycle.rotate(now, STARTED, POLICY, null).generate());
        assertEquals(now.plus(L), Lifecycle.rotate(now, STARTED, POLICY, FRESH).next().prepared().orElseThrow().activates());
        Lifecycle.Plan reschedule = Lifecycle.rotate(at(P.minus(L)), WITH_NEXT, POLICY, null);
        assertFalse(reschedule.generate());
        assertEquals(at(P.minus(L)), reschedule.next().prepared().orElseThrow().activates(),
                "the PREPARED key activates once published for the lead");
    }

    @Test
    void activateForcesAPreparedKeyAndRecordsIt() {
        Instant early = at(P.minus(L)).minusSeconds(1);
        KeySet forced = Lifecycle.activate(early, WITH_NEXT, POLICY, "b").next();
        assertEquals("b", kid(forced.active()));
        assertEquals(Lifecycle.OPERATOR_ACTIVATION, forced.active().orElseThrow().forcedBecause());
        assertEquals(early.plus(P), forced.active().orElseThrow().retires());
        assertEquals(KeyState.RETIRED, forced.find("a").orElseThrow().state(), "the old key stays published");
        KeySet onTime = Lifecycle.activate(at(P.minus(L)), WITH_NEXT, POLICY, "b").next();
        assertNull(onTime.active().orElseThrow().forcedBecause(), "no force to record once the lead has passed");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.activate(early, WITH_NEXT, POLICY, "a")).code(), "ACTIVE is not PREPARED");
        assertEquals(SignetException.Code.NOT_FOUND, assertThrows(SignetException.class,
                () -> Lifecycle.activate(early, WITH_NEXT, POLICY, "unknown")).code());
    }

    @Test
    void retireNeedsASuccessorThatWaitedTheLead() {
        Instant now = at(P.minus(L)).minusSeconds(1);
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.retire(now, STARTED, POLICY, "a")).code(), "no successor");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.retire(now, WITH_NEXT, POLICY, "a")).code(), "successor not yet due");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.retire(now, WITH_NEXT, POLICY, "b")).code(), "only ACTIVE retires");
        KeySet retired = Lifecycle.retire(at(P.minus(L)), WITH_NEXT, POLICY, "a").next();
        assertEquals("b", kid(retired.active()));
        assertNull(retired.active().orElseThrow().forcedBecause());
        assertEquals(at(P.minus(L)).plus(R), retired.find("a").orElseThrow().unpublishes());
    }

    /** Row: journal, kid to revoke, then the expected ACTIVE (null = a new key is asked for) and why it signs early. */
    static Stream<Arguments> revoke() {
        return Stream.of(
                arguments("ACTIVE, no PREPARED: a new key is asked for", STARTED, "a", null, "operator revoked a"),
                arguments("ACTIVE, the PREPARED key takes over at once", WITH_NEXT, "a", "b", "operator revoked a"),
                arguments("PREPARED: the ACTIVE key keeps signing", WITH_NEXT, "b", "a", Lifecycle.BOOTSTRAP),
                arguments("the PREPARED key while recovering", RECOVERING, "b", null, "operator revoked b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void revoke(String row, KeySet set, String kid, String active, String forcedBecause) {
        Instant now = at(P.minus(L.multipliedBy(2))).plus(L.dividedBy(2)); // b's lead has not passed
        Lifecycle.Plan plan = Lifecycle.revoke(now, set, POLICY, kid, null);
        assertEquals(active == null, plan.generate());
        KeySet next = active == null ? Lifecycle.revoke(now, set, POLICY, kid, FRESH).next() : plan.next();
        assertEquals(KeyState.REVOKED, next.find(kid).orElseThrow().state());
        assertFalse(next.published().stream().anyMatch(k -> k.kid().equals(kid)), "unpublished at once");
        KeyRecord signer = next.active().orElseThrow();
        assertEquals(active == null ? FRESH.kid() : active, signer.kid());
        assertEquals(forcedBecause, signer.forcedBecause());
    }

    @Test
    void revokeRefusesWhatIsNotPublished() {
        KeySet revoked = Lifecycle.revoke(T0, WITH_NEXT, POLICY, "b", null).next();
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.revoke(T0, revoked, POLICY, "b", null)).code(), "not published any more");
        assertEquals(SignetException.Code.NOT_FOUND, assertThrows(SignetException.class,
                () -> Lifecycle.revoke(T0, revoked, POLICY, "nope", null)).code());
    }

    @Test
    void aRevokedKeyIsDestroyedAfterItsGraceOrAtOnceWhenAsked() {
        Instant now = at(Duration.ofHours(3));
        KeySet revoked = Lifecycle.revoke(now, WITH_NEXT, POLICY, "b", null).next();
        Instant after = now.plus(POLICY.destroyGrace());
        assertEquals(after, revoked.find("b").orElseThrow().destroyAfter());
        assertEquals(List.of(), Lifecycle.step(after.minusSeconds(1), revoked, POLICY).destroy());
        assertEquals(List.of("b"), Lifecycle.step(after, revoked, POLICY).destroy());

        Lifecycle.Plan destroy = Lifecycle.destroyNow(now, revoked, "b");
        assertEquals(List.of("b"), destroy.destroy());
        assertEquals(now, destroy.next().find("b").orElseThrow().destroyAfter(), "journaled before the backend acts");
        assertEquals(SignetException.Code.FAILED_PRECONDITION, assertThrows(SignetException.class,
                () -> Lifecycle.destroyNow(now, revoked, "a")).code(), "a published key is revoked first");
        assertNull(Lifecycle.revokeLost(now, WITH_NEXT, POLICY, List.of("a"), null).next().find("a").orElseThrow()
                .destroyAfter(), "a key the backend lost has nothing to keep");
    }

    @Test
    void aForcedActivationIsRefusedAtTheMaximumOfPublishedKeysButRevokeNeverIs() {
        RotationPolicy capped = RotationPolicy.builder().rotationPeriod(P).maxPublished(4).build();
        // a RETIRED, b RETIRED, c ACTIVE, d PREPARED: four published keys.
        KeySet full = new KeySet(9, List.of(
                KeyRecord.prepared("a", SigningAlgorithm.ES256, T0, T0).activated(T0, at(P), null).retired(T0, at(P)),
                KeyRecord.prepared("b", SigningAlgorithm.ES256, T0, T0).activated(T0, at(P), null).retired(T0, at(P)),
                KeyRecord.prepared("c", SigningAlgorithm.ES256, T0, T0).activated(T0, at(P), null),
                KeyRecord.prepared("d", SigningAlgorithm.ES256, T0, at(P))));
        SignetException e = assertThrows(SignetException.class, () -> Lifecycle.activate(T0, full, capped, "d"));
        assertEquals(SignetException.Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("rotation.max-published = 4"), e.getMessage());
        assertEquals("d", kid(Lifecycle.activate(T0.plus(L), full, capped, "d").next().active()),
                "not forced once the lead has passed");
        assertEquals("d", kid(Lifecycle.revoke(T0, full, capped, "c", null).next().active()), "revoke is never refused");
        assertThrows(IllegalArgumentException.class, () -> RotationPolicy.builder().maxPublished(3).build(),
                "below what scheduled rotation publishes");
    }

    @Test
    void lostKeysAreRevokedAndANewKeyWaitsItsLead() {
        Lifecycle.Plan keep = Lifecycle.revokeLost(T0, WITH_NEXT, POLICY, List.of("a"), null);
        assertFalse(keep.generate(), "the PREPARED key can still take over");
        assertEquals(Lifecycle.LOST, keep.next().find("a").orElseThrow().revokedBecause());
        assertTrue(keep.next().active().isEmpty());

        assertTrue(Lifecycle.revokeLost(T0, STARTED, POLICY, List.of("a"), null).generate());
        KeySet replaced = Lifecycle.revokeLost(T0, STARTED, POLICY, List.of("a"), FRESH).next();
        assertTrue(replaced.active().isEmpty(), "not forced: signing waits for the lead");
        assertEquals(T0.plus(L), replaced.prepared().orElseThrow().activates());
        assertSame(STARTED, Lifecycle.revokeLost(T0, STARTED, POLICY, List.of(), null).next());
    }

    @Test
    void describeProjectsThePreparedKeysFuture() {
        KeyRing.KeyView b = Lifecycle.describe(WITH_NEXT, POLICY).get(1);
        assertEquals("PREPARED", b.state());
        assertEquals(at(P), b.activates());
        assertEquals(at(P.multipliedBy(2)), b.retires());
        assertEquals(at(P.multipliedBy(2)).plus(R), b.unpublishes());
    }
}
