package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The journal of one issuer's keys: an immutable value, changed only by building a new one
 * ({@link #toBuilder}), whose version is one more. Stores compare-and-swap on the version.
 *
 * <p>Invariants, checked on construction: kids are unique; at most one key is ACTIVE and at most one
 * PREPARED; a set with keys but none ACTIVE has a PREPARED key (recovery after the ACTIVE key was lost or
 * revoked waits for it). The builder checks that each transition is one of {@link KeyState#successors()};
 * when transitions are due, and their times, are {@link Lifecycle}'s and {@link Schedule}'s business.
 *
 * @param version 0 for a journal never written; each stored change adds one
 * @param keys    in the order they were prepared
 */
public record KeySet(long version, List<KeyRecord> keys) {

    /**
     * @throws IllegalArgumentException if an invariant above does not hold or the version is negative
     */
    public KeySet {
        if (version < 0) {
            throw new IllegalArgumentException("negative version");
        }
        keys = List.copyOf(keys);
        Set<String> kids = new HashSet<>();
        int active = 0;
        int prepared = 0;
        for (KeyRecord k : keys) {
            if (!kids.add(k.kid())) {
                throw new IllegalArgumentException("duplicate kid " + k.kid());
            }
            if (k.state() == KeyState.ACTIVE) {
                active++;
            } else if (k.state() == KeyState.PREPARED) {
                prepared++;
            }
        }
        if (active > 1) {
            throw new IllegalArgumentException("two ACTIVE keys");
        }
        if (prepared > 1) {
            throw new IllegalArgumentException("two PREPARED keys");
        }
        if (!keys.isEmpty() && active == 0 && prepared == 0) {
            throw new IllegalArgumentException("no ACTIVE key and no PREPARED key to become one");
        }
    }

    /** The journal before anything was written. */
    public static KeySet empty() {
        return new KeySet(0, List.of());
    }

    public Optional<KeyRecord> active() {
        return inState(KeyState.ACTIVE);
    }

    public Optional<KeyRecord> prepared() {
        return inState(KeyState.PREPARED);
    }

    public Optional<KeyRecord> find(String kid) {
        return keys.stream().filter(k -> k.kid().equals(kid)).findFirst();
    }

    /** The keys in the JWKS: PREPARED, ACTIVE and RETIRED. */
    public List<KeyRecord> published() {
        return keys.stream().filter(k -> k.state().published()).toList();
    }

    public List<KeyRecord> inStates(Set<KeyState> states) {
        return keys.stream().filter(k -> states.contains(k.state())).toList();
    }

    /** True for a journal that has never held a key: the only case where a key may activate unprepared. */
    public boolean unstarted() {
        return version == 0 && keys.isEmpty();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    private Optional<KeyRecord> inState(KeyState s) {
        return keys.stream().filter(k -> k.state() == s).findFirst();
    }

    /**
     * Makes the next version. Each method is one legal transition and throws
     * {@link SignetException} NOT_FOUND for an unknown kid and FAILED_PRECONDITION for an illegal one.
     */
    public static final class Builder {
        private final KeySet base;
        private final List<KeyRecord> keys;
        private boolean changed;

        private Builder(KeySet base) {
            this.base = base;
            this.keys = new ArrayList<>(base.keys);
        }

        /** The ACTIVE key as built so far. */
        public Optional<KeyRecord> active() {
            return keys.stream().filter(k -> k.state() == KeyState.ACTIVE).findFirst();
        }

        /** Journals a freshly generated key as PREPARED (published from now), to activate at {@code activates}. */
        public Builder prepare(String kid, SigningAlgorithm algorithm, Instant now, Instant activates) {
            if (keys.stream().anyMatch(k -> k.kid().equals(kid))) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is already journaled");
            }
            if (keys.stream().anyMatch(k -> k.state() == KeyState.PREPARED)) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "a PREPARED key exists already; activate or revoke it first");
            }
            return put(-1, KeyRecord.prepared(kid, algorithm, now, activates));
        }

        /** Moves the activation time of the PREPARED key {@code kid}. */
        public Builder reschedule(String kid, Instant activates) {
            int i = indexIn(kid, KeyState.PREPARED);
            return put(i, keys.get(i).rescheduled(activates));
        }

        /**
         * Makes the PREPARED key {@code kid} ACTIVE. Retiring the key it replaces is a separate
         * {@link #retire}; {@link #build()} refuses two ACTIVE keys.
         *
         * @param retires       its scheduled retirement
         * @param forcedBecause why it signs before its prepublish lead has passed, or null if it does not
         */
        public Builder activate(String kid, Instant now, Instant retires, String forcedBecause) {
            int i = indexIn(kid, KeyState.PREPARED);
            return put(i, keys.get(i).activated(now, retires, forcedBecause));
        }

        /** Retires the ACTIVE key {@code kid}: it stops signing and stays published until {@code unpublishes}. */
        public Builder retire(String kid, Instant now, Instant unpublishes) {
            int i = indexIn(kid, KeyState.ACTIVE);
            return put(i, keys.get(i).retired(now, unpublishes));
        }

        /** Unpublishes a RETIRED key. */
        public Builder remove(String kid, Instant now) {
            int i = indexIn(kid, KeyState.RETIRED);
            return put(i, keys.get(i).removed(now));
        }

        /** Unpublishes a PREPARED, ACTIVE or RETIRED key at once, to be destroyed at once. */
        public Builder revoke(String kid, Instant now, String because) {
            return revoke(kid, now, because, null);
        }

        /** Unpublishes a PREPARED, ACTIVE or RETIRED key at once, to be destroyed from {@code destroyAfter}. */
        public Builder revoke(String kid, Instant now, String because, Instant destroyAfter) {
            int i = index(kid);
            return put(i, checked(keys.get(i), KeyState.REVOKED).revoked(now, because, destroyAfter));
        }

        /** Moves the destroy-after time of the REVOKED key {@code kid}. */
        public Builder destroyAfter(String kid, Instant at) {
            int i = indexIn(kid, KeyState.REVOKED);
            return put(i, keys.get(i).destroyableAt(at));
        }

        /** Records that the backend no longer holds a REMOVED or REVOKED key. */
        public Builder destroyed(String kid, Instant now) {
            int i = index(kid);
            return put(i, checked(keys.get(i), KeyState.DESTROYED).destroyed(now));
        }

        /** Forgets a DESTROYED key, so the journal stays bounded. */
        public Builder prune(String kid) {
            int i = indexIn(kid, KeyState.DESTROYED);
            keys.remove(i);
            changed = true;
            return this;
        }

        public boolean changed() {
            return changed;
        }

        /**
         * The next version, or the base itself when nothing changed.
         *
         * @throws IllegalArgumentException if the result breaks a {@link KeySet} invariant
         */
        public KeySet build() {
            return changed ? new KeySet(base.version + 1, keys) : base;
        }

        private Builder put(int i, KeyRecord r) {
            if (i < 0) {
                keys.add(r);
            } else {
                keys.set(i, r);
            }
            changed = true;
            return this;
        }

        private int index(String kid) {
            for (int i = 0; i < keys.size(); i++) {
                if (keys.get(i).kid().equals(kid)) {
                    return i;
                }
            }
            throw new SignetException(SignetException.Code.NOT_FOUND, "no key " + kid + " in the journal");
        }

        private int indexIn(String kid, KeyState expected) {
            int i = index(kid);
            if (keys.get(i).state() != expected) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "key " + kid + " is " + keys.get(i).state() + ", not " + expected);
            }
            return i;
        }

        private static KeyRecord checked(KeyRecord r, KeyState to) {
            if (!r.state().successors().contains(to)) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "key " + r.kid() + " cannot go from " + r.state() + " to " + to);
            }
            return r;
        }
    }
}
