package dev.signet.verifier;

import dev.signet.grammar.ResourcePattern;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.signet.verifier.testing.SeededCases.ACTIONS;
import static dev.signet.verifier.testing.SeededCases.LITERALS;
import static dev.signet.verifier.testing.SeededCases.forAll;
import static dev.signet.verifier.testing.SeededCases.pattern;
import static dev.signet.verifier.testing.SeededCases.pick;
import static dev.signet.verifier.testing.SeededCases.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests of chains on the seeded cases issuance's AttenuationPropertiesTest also uses ({@code SeededCases}):
 * a random root policy, then up to five links each asking for random grants (often wider) or a narrowing of the
 * one before. Whatever the links ask, an accepted chain's final holder is never allowed a (resource, action) its
 * root is not, checked by matching concrete resources (not by the containment under test); chains built only
 * by narrowing are always accepted. {@code -Dsignet.chain.seed=N} and {@code -Dsignet.chain.tries=N} explore more.
 */
class ChainPropertiesTest {

    static final int TRIES = Integer.getInteger("signet.chain.tries", 60);
    static final long BASE_SEED = Long.getLong("signet.chain.seed", 0xC4A1_17L);

    final ChainFixture f = new ChainFixture();
    final ChainVerifier verifier = f.verifier(StatusCheck.UNCHECKED);

    /** resource, "a,b", resource, "c", ... */
    static String[] scope(Random r) {
        List<String> s = new ArrayList<>();
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            s.add(pattern(r));
            Set<String> a = new HashSet<>();
            for (int k = 1 + r.nextInt(2); k > 0; k--) {
                a.add(pick(r, ACTIONS));
            }
            s.add(String.join(",", a));
        }
        return s.toArray(String[]::new);
    }

    /** Drops items and actions and replaces a wildcard segment with a literal. */
    static String[] narrowed(String[] parent, Random r) {
        List<String> child = new ArrayList<>();
        for (int i = 0; i < parent.length; i += 2) {
            if (child.isEmpty() || r.nextBoolean()) {
                List<String> actions = List.of(parent[i + 1].split(","));
                String resource = parent[i].equals("**") ? resource(r)
                        : parent[i].replaceFirst("/\\*(?=/|$)", "/" + pick(r, LITERALS));
                child.add(resource);
                child.add(String.join(",", actions.subList(0, 1 + r.nextInt(actions.size()))));
            }
        }
        return child.toArray(String[]::new);
    }

    static boolean allows(String[] scope, String resource, String action) {
        for (int i = 0; i < scope.length; i += 2) {
            if (List.of(scope[i + 1].split(",")).contains(action) && ResourcePattern.parse(scope[i]).matches(resource)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void anAcceptedChainNeverReachesWhatItsRootCannot() {
        int[] accepted = new int[TokenVerifier.MAX_DEPTH + 1];
        forAll(TRIES, BASE_SEED, r -> {
            String[] rootScope = scope(r);
            String c = f.root(5, rootScope);
            String[] last = rootScope;
            int depth = 1 + r.nextInt(TokenVerifier.MAX_DEPTH);
            for (int k = 1; k <= depth; k++) {
                last = r.nextInt(5) == 0 ? scope(r) : narrowed(last, r);
                c = f.forge(c, k, f.linkClaims(c, k, last));
            }
            VerifiedChain chain;
            try {
                chain = verifier.verify(c);
            } catch (Rejected e) {
                assertEquals("widened", e.reason(), e.getMessage());
                return;
            }
            accepted[depth]++;
            for (int i = 0; i < 50; i++) {
                String resource = resource(r);
                String action = pick(r, ACTIONS);
                if (chain.allows(resource, action).allowed()) {
                    assertTrue(allows(rootScope, resource, action), "depth " + depth + " allows " + action + " on "
                            + resource + " which root " + String.join(" ", rootScope) + " does not");
                    assertTrue(allows(last, resource, action), "the last link states what the holder has");
                }
            }
        });
        for (int d = 1; d <= TokenVerifier.MAX_DEPTH; d++) {
            assertTrue(accepted[d] >= 3, "enough accepted chains at depth " + d + ": " + accepted[d]);
        }
    }

    @Test
    void chainsThatOnlyNarrowAreAlwaysAccepted() {
        forAll(TRIES, BASE_SEED, r -> {
            String[] scope = scope(r);
            String c = f.root(5, scope);
            int depth = 1 + r.nextInt(TokenVerifier.MAX_DEPTH);
            for (int k = 1; k <= depth; k++) {
                if (r.nextInt(4) == 0) {
                    c = f.attenuate(c, k); // keeps the scope
                } else {
                    scope = r.nextBoolean() ? scope : narrowed(scope, r);
                    c = f.attenuate(c, k, scope);
                }
            }
            VerifiedChain chain = verifier.verify(c);
            assertEquals(depth, chain.depth());
            assertEquals(new HashSet<>(ChainFixture.grants(scope)), new HashSet<>(chain.grants()));
        });
    }

    @Test
    void theLinkClaimsHelperMatchesTheBuilder() {
        String root = f.root(5);
        Map<String, Object> forged = f.linkClaims(root, 1);
        assertEquals(1, verifier.verify(f.forge(root, 1, forged)).depth());
    }
}
