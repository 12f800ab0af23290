package dev.signet.rotation;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A backend call about to be made, journaled in the {@link LifecycleStore} before it is made: fencing keeps a
 * writer that lost the lease out of the journal, but a paused former holder could still create or destroy a
 * key in the backend, so what it meant to do stays behind for the next holder to {@linkplain Reconcile finish}.
 *
 * @param id             unique, to clear exactly this intent once its outcome is journaled
 * @param kind           a key being generated or destroyed
 * @param kid            the key being destroyed; null for {@link Kind#GENERATE} (the backend picks the id)
 * @param journalVersion the journal version the call was planned on
 * @param known          for {@link Kind#GENERATE}, the backend's keys just before the call: a key outside both
 *                       these and the journal can only be this call's
 * @param at             when it was recorded (the ring's clock)
 */
public record KeyIntent(String id, Kind kind, String kid, long journalVersion, Set<String> known, Instant at) {

    public enum Kind { GENERATE, DESTROY }

    public KeyIntent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
        if ((kind == Kind.DESTROY) != (kid != null)) {
            throw new IllegalArgumentException("a DESTROY intent names its key, a GENERATE intent none");
        }
        known = Set.copyOf(known);
    }

    public static KeyIntent generate(Instant at, long journalVersion, Set<String> known) {
        return new KeyIntent(UUID.randomUUID().toString(), Kind.GENERATE, null, journalVersion, known, at);
    }

    public static KeyIntent destroy(Instant at, long journalVersion, String kid) {
        return new KeyIntent(UUID.randomUUID().toString(), Kind.DESTROY, kid, journalVersion, Set.of(), at);
    }

    /** One tab-separated line (every store keeps this form): id, kind, kid or -, version, time, known kids comma-separated. */
    public String encode() {
        return String.join("\t", id, kind.name(), kid == null ? "-" : kid, Long.toString(journalVersion), at.toString(),
                String.join(",", new TreeSet<>(known)));
    }

    /** @throws IllegalArgumentException if {@code line} is not what {@link #encode} writes */
    public static KeyIntent decode(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("a key intent has 6 fields, this line " + f.length);
        }
        try {
            return new KeyIntent(f[0], Kind.valueOf(f[1]), f[2].equals("-") ? null : f[2], Long.parseLong(f[3]),
                    f[5].isEmpty() ? Set.of() : Set.of(f[5].split(",")), Instant.parse(f[4]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("damaged key intent: " + e.getMessage(), e);
        }
    }
}
