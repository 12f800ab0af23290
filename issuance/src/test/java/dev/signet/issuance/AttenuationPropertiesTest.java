package dev.signet.issuance;

import dev.signet.grammar.ResourcePattern;
import dev.signet.verifier.VerifiedToken;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static dev.signet.verifier.testing.SeededCases.ACTIONS;
import static dev.signet.verifier.testing.SeededCases.LITERALS;
import static dev.signet.verifier.testing.SeededCases.forAll;
import static dev.signet.verifier.testing.SeededCases.pattern;
import static dev.signet.verifier.testing.SeededCases.pick;
import static dev.signet.verifier.testing.SeededCases.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests of attenuation ({@link Exchange#withinParent}), seeded as grammar's GrammarPropertiesTest is:
 * random parent grants and random child scopes over a small alphabet, so they often overlap. Whatever the child
 * asks, an accepted child never allows a (resource, action) its parent does not; a child equal to its parent is
 * accepted; adding an action the parent never grants is refused. {@code -Dsignet.attenuation.seed=N} explores more.
 */
class AttenuationPropertiesTest {

    static final int TRIES = 2000;
    static final long BASE_SEED = Long.getLong("signet.attenuation.seed", 0xA77E_17L);

    static List<String> actions(Random r) {
        Set<String> a = new HashSet<>();
        for (int n = 1 + r.nextInt(2); n > 0; n--) {
            a.add(pick(r, ACTIONS.subList(0, 2)));
        }
        return List.copyOf(a);
    }

    static List<ScopeItem> scope(Random r) {
        List<ScopeItem> scope = new ArrayList<>();
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            scope.add(new ScopeItem(pattern(r), actions(r)));
        }
        return scope;
    }

    static List<VerifiedToken.Grant> grants(List<ScopeItem> scope) {
        return scope.stream().map(s -> new VerifiedToken.Grant(ResourcePattern.parse(s.resource()), new HashSet<>(s.actions()))).toList();
    }

    static boolean allows(List<ScopeItem> scope, String resource, String action) {
        return scope.stream().anyMatch(s -> s.actions().contains(action) && ResourcePattern.parse(s.resource()).matches(resource));
    }

    static boolean accepted(List<ScopeItem> parent, List<ScopeItem> child) {
        try {
            Exchange.withinParent(grants(parent), child);
            return true;
        } catch (ExchangeException e) {
            assertEquals(ExchangeException.INVALID_TARGET, e.error());
            return false;
        }
    }

    @Test
    void anAcceptedChildNeverReachesWhatItsParentCannot() {
        int[] acceptedCount = {0};
        forAll(TRIES, BASE_SEED, r -> {
            List<ScopeItem> parent = scope(r);
            List<ScopeItem> child = r.nextBoolean() ? scope(r) : narrowed(parent, r);
            if (!accepted(parent, child)) {
                return;
            }
            acceptedCount[0]++;
            for (int i = 0; i < 50; i++) {
                String resource = resource(r);
                String action = pick(r, ACTIONS);
                if (allows(child, resource, action)) {
                    assertTrue(allows(parent, resource, action), "child " + child + " allows " + action + " on "
                            + resource + " which parent " + parent + " does not");
                }
            }
        });
        assertTrue(acceptedCount[0] > TRIES / 4, "enough accepted children to mean something: " + acceptedCount[0]);
    }

    /** A child built from the parent by dropping items and actions and replacing a wildcard with a literal. */
    static List<ScopeItem> narrowed(List<ScopeItem> parent, Random r) {
        List<ScopeItem> child = new ArrayList<>();
        for (ScopeItem item : parent) {
            if (child.isEmpty() || r.nextBoolean()) {
                List<String> actions = item.actions().subList(0, 1 + r.nextInt(item.actions().size()));
                String resource = item.resource().equals("**") ? resource(r) : item.resource().replaceFirst("/\\*(?=/|$)", "/" + pick(r, LITERALS));
                child.add(new ScopeItem(resource, actions));
            }
        }
        return child;
    }

    @Test
    void theParentsOwnScopeAndEveryNarrowingOfItAreAccepted() {
        forAll(TRIES, BASE_SEED, r -> {
            List<ScopeItem> parent = scope(r);
            assertTrue(accepted(parent, parent), parent.toString());
            List<ScopeItem> child = narrowed(parent, r);
            assertTrue(accepted(parent, child), parent + " -> " + child);
        });
    }

    @Test
    void anActionTheParentNeverGrantsIsRefused() {
        forAll(TRIES, BASE_SEED, r -> {
            List<ScopeItem> parent = scope(r);
            List<ScopeItem> child = new ArrayList<>(narrowed(parent, r));
            ScopeItem first = child.getFirst();
            List<String> wider = new ArrayList<>(first.actions());
            wider.add("admin");
            child.set(0, new ScopeItem(first.resource(), wider));
            List<ScopeItem> finalChild = child;
            assertThrows(ExchangeException.class, () -> Exchange.withinParent(grants(parent), finalChild), parent + " -> " + child);
        });
    }
}
