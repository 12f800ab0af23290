package dev.signet.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What to do about {@linkplain KeyIntent intents} left in the store by a holder that died, was paused or lost
 * its lease between journaling an intent and journaling its outcome. Pure: the journal, the intents and the
 * backend's key ids in, actions out; {@link MasterKeyRing} runs them under the lock at start-up and whenever it
 * takes the lock with intents outstanding.
 *
 * <ul>
 *   <li>GENERATE: a backend key in neither the journal nor the intent's {@code known} set was made by that call
 *       and never journaled, so never published and never used: it is destroyed (not adopted: the plan that
 *       wanted it is recomputed from the journal anyway and generates afresh if still due). With no such key, the
 *       call failed or has not happened yet; the intent is kept until older than the in-flight bound, so a
 *       paused caller's late key is still found.</li>
 *   <li>DESTROY: a destroy that may have happened is completed: the backend's key is destroyed if still there and
 *       the journal records it destroyed. A key the journal still publishes is never destroyed (the intent is
 *       dropped: it cannot have come from a journal that the key was removed from).</li>
 * </ul>
 */
public final class Reconcile {

    /** Backend calls time out long before this; an intent older than this with nothing to show never ran. */
    public static final Duration IN_FLIGHT = Duration.ofMinutes(10);

    /**
     * @param destroyOrphans kids to destroy in the backend: generated, never journaled
     * @param completeDestroy kids to destroy in the backend (gone already is fine) and journal as destroyed
     * @param clear intents whose outcome is settled once the above are done
     */
    public record Plan(List<String> destroyOrphans, List<String> completeDestroy, List<String> clear) {
        public Plan {
            destroyOrphans = List.copyOf(destroyOrphans);
            completeDestroy = List.copyOf(completeDestroy);
            clear = List.copyOf(clear);
        }

        public boolean idle() {
            return destroyOrphans.isEmpty() && completeDestroy.isEmpty() && clear.isEmpty();
        }
    }

    private Reconcile() {
    }

    public static Plan plan(Instant now, KeySet journal, List<KeyIntent> intents, Set<String> backendKids,
                            Duration inFlight) {
        Set<String> orphans = new LinkedHashSet<>();
        Set<String> complete = new LinkedHashSet<>();
        List<String> clear = new ArrayList<>();
        for (KeyIntent i : intents) {
            switch (i.kind()) {
                case GENERATE -> {
                    List<String> made = backendKids.stream()
                            .filter(kid -> journal.find(kid).isEmpty() && !i.known().contains(kid)).sorted().toList();
                    if (!made.isEmpty()) {
                        orphans.addAll(made);
                        clear.add(i.id());
                    } else if (!now.isBefore(i.at().plus(inFlight))) {
                        clear.add(i.id());
                    }
                }
                case DESTROY -> {
                    Optional<KeyRecord> k = journal.find(i.kid());
                    boolean published = k.isPresent() && k.get().state().published();
                    if (!published && (backendKids.contains(i.kid())
                            || k.isPresent() && k.get().state() != KeyState.DESTROYED)) {
                        complete.add(i.kid());
                    }
                    clear.add(i.id());
                }
            }
        }
        return new Plan(List.copyOf(orphans), List.copyOf(complete), clear);
    }
}
