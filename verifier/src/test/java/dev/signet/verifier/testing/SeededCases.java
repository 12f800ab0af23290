package dev.signet.verifier.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The seeded-case harness the property tests share (jqwik is deliberately not used): {@link #forAll} runs a
 * property on {@code tries} generators seeded from {@code baseSeed} up, naming the seed of a failure so it can be
 * replayed; the generators draw resources and patterns from a small alphabet so that containment is often hit.
 * Used by verifier's ChainPropertiesTest and issuance's AttenuationPropertiesTest.
 */
public final class SeededCases {

    public static final List<String> LITERALS = List.of("a", "b", "c");
    public static final List<String> ACTIONS = List.of("read", "write", "admin");

    private SeededCases() {
    }

    public static void forAll(int tries, long baseSeed, Consumer<Random> property) {
        for (int i = 0; i < tries; i++) {
            long seed = baseSeed + i;
            try {
                property.accept(new Random(seed));
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    public static <T> T pick(Random r, List<T> choices) {
        return choices.get(r.nextInt(choices.size()));
    }

    /** A {@code repo:} pattern of one to three segments (literals or {@code *}), sometimes ending {@code /**}, rarely {@code **}. */
    public static String pattern(Random r) {
        if (r.nextInt(20) == 0) {
            return "**";
        }
        List<String> segments = new ArrayList<>();
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            segments.add(pick(r, List.of("a", "b", "c", "*")));
        }
        if (r.nextInt(3) == 0) {
            segments.add("**");
        }
        return "repo:" + String.join("/", segments);
    }

    /** A concrete {@code repo:} resource of one to five literal segments. */
    public static String resource(Random r) {
        List<String> segments = new ArrayList<>();
        for (int n = 1 + r.nextInt(5); n > 0; n--) {
            segments.add(pick(r, LITERALS));
        }
        return "repo:" + String.join("/", segments);
    }
}
