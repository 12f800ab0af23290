package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The reconcile rules as a table over (journal, intents, backend keys, age): no store, no backend. */
class ReconcileTest {

    private static final Instant T0 = Fixtures.START;
    private static final Duration BOUND = Reconcile.IN_FLIGHT;

    /** k1 ACTIVE, k2 RETIRED, k3 REMOVED, k4 REVOKED, k5 DESTROYED. */
    private static KeySet journal() {
        Instant later = T0.plus(Duration.ofDays(1));
        return KeySet.empty().toBuilder()
                .prepare("k5", SigningAlgorithm.ES256, T0, T0).activate("k5", T0, later, null)
                .retire("k5", T0, T0).remove("k5", T0).destroyed("k5", T0)
                .prepare("k3", SigningAlgorithm.ES256, T0, T0).activate("k3", T0, later, null)
                .retire("k3", T0, T0).remove("k3", T0)
                .prepare("k2", SigningAlgorithm.ES256, T0, T0).activate("k2", T0, later, null).retire("k2", T0, later)
                .prepare("k4", SigningAlgorithm.ES256, T0, T0).revoke("k4", T0, "test", T0)
                .prepare("k1", SigningAlgorithm.ES256, T0, T0).activate("k1", T0, later, null)
                .build();
    }

    private static KeyIntent generate(Set<String> known) {
        return new KeyIntent("g", KeyIntent.Kind.GENERATE, null, 1, known, T0);
    }

    private static KeyIntent destroy(String kid) {
        return new KeyIntent("d", KeyIntent.Kind.DESTROY, kid, 1, Set.of(), T0);
    }

    static Stream<Arguments> rules() {
        Set<String> before = Set.of("k1", "k2", "k3", "k4", "old-unjournaled");
        return Stream.of(
                // name, intent, backend kids, age, orphans to destroy, destroys to complete, intents cleared
                arguments("generate: the new key was never journaled → destroyed", generate(before),
                        Set.of("k1", "k2", "k3", "k4", "old-unjournaled", "new"), Duration.ZERO,
                        List.of("new"), List.of(), List.of("g")),
                arguments("generate: a key outside the journal but known before is not this call's", generate(before),
                        Set.of("k1", "k2", "k3", "k4", "old-unjournaled"), Duration.ZERO,
                        List.of(), List.of(), List.of()),
                arguments("generate: nothing made yet, young → kept for a paused caller", generate(before),
                        Set.of("k1"), BOUND.minusSeconds(1), List.of(), List.of(), List.of()),
                arguments("generate: nothing made, past the in-flight bound → dropped", generate(before),
                        Set.of("k1"), BOUND, List.of(), List.of(), List.of("g")),
                arguments("generate: made and journaled (only clearing was lost) → nothing to destroy", generate(Set.of()),
                        Set.of("k1", "k2"), BOUND, List.of(), List.of(), List.of("g")),
                arguments("destroy: REMOVED key still in the backend → completed", destroy("k3"),
                        Set.of("k1", "k3"), Duration.ZERO, List.of(), List.of("k3"), List.of("d")),
                arguments("destroy: REMOVED key gone from the backend, not journaled → journaled", destroy("k3"),
                        Set.of("k1"), Duration.ZERO, List.of(), List.of("k3"), List.of("d")),
                arguments("destroy: REVOKED key still in the backend → completed", destroy("k4"),
                        Set.of("k4"), Duration.ZERO, List.of(), List.of("k4"), List.of("d")),
                arguments("destroy: already DESTROYED and gone → only cleared", destroy("k5"),
                        Set.of("k1"), Duration.ZERO, List.of(), List.of(), List.of("d")),
                arguments("destroy: journaled DESTROYED but still in the backend → destroyed again", destroy("k5"),
                        Set.of("k5"), Duration.ZERO, List.of(), List.of("k5"), List.of("d")),
                arguments("destroy: never a published key (ACTIVE)", destroy("k1"),
                        Set.of("k1"), Duration.ZERO, List.of(), List.of(), List.of("d")),
                arguments("destroy: never a published key (RETIRED)", destroy("k2"),
                        Set.of("k2"), Duration.ZERO, List.of(), List.of(), List.of("d")),
                arguments("destroy: a key the journal does not know, still in the backend → destroyed", destroy("x"),
                        Set.of("x"), Duration.ZERO, List.of(), List.of("x"), List.of("d")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void rule(String name, KeyIntent intent, Set<String> backend, Duration age, List<String> orphans,
              List<String> complete, List<String> cleared) {
        Reconcile.Plan plan = Reconcile.plan(T0.plus(age), journal(), List.of(intent), backend, BOUND);
        assertEquals(orphans, plan.destroyOrphans(), "orphans");
        assertEquals(complete, plan.completeDestroy(), "destroys to complete");
        assertEquals(cleared, plan.clear(), "cleared");
    }

    @Test
    void twoGenerateIntentsShareTheirOrphansOnce() {
        KeyIntent a = new KeyIntent("a", KeyIntent.Kind.GENERATE, null, 1, Set.of("k1"), T0);
        KeyIntent b = new KeyIntent("b", KeyIntent.Kind.GENERATE, null, 2, Set.of("k1"), T0);
        Reconcile.Plan plan = Reconcile.plan(T0, journal(), List.of(a, b), Set.of("k1", "n1", "n2"), BOUND);
        assertEquals(List.of("n1", "n2"), plan.destroyOrphans());
        assertEquals(List.of("a", "b"), plan.clear());
    }

    @Test
    void anIntentRoundTripsThroughItsLineAndDamageIsRefused() {
        KeyIntent g = KeyIntent.generate(T0, 7, Set.of("b", "a"));
        assertEquals(g, KeyIntent.decode(g.encode()));
        KeyIntent d = KeyIntent.destroy(T0, 8, "k3");
        assertEquals(d, KeyIntent.decode(d.encode()));
        assertEquals(KeyIntent.generate(T0, 0, Set.of()).known(),
                KeyIntent.decode(KeyIntent.generate(T0, 0, Set.of()).encode()).known());
        assertThrows(IllegalArgumentException.class, () -> KeyIntent.decode(g.encode().replace("GENERATE", "MAKE")));
        assertThrows(IllegalArgumentException.class, () -> KeyIntent.decode("x\tDESTROY\t-\t1\t" + T0 + "\t"));
        assertThrows(IllegalArgumentException.class, () -> KeyIntent.decode(g.encode() + "\textra"));
    }
}
