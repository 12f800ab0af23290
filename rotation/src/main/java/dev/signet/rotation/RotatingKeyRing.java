package dev.signet.rotation;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An issuer's rotating keys: the journal in a {@link LifecycleStore}, the keys in a {@link KeyBackend}.
 *
 * <p>Signing and publishing read one volatile snapshot of the journal and take no lock. Every change
 * (scheduled in {@link #tick()}, or an operator verb) takes the store's lock, re-reads the journal,
 * computes the next one in memory, persists it, and only then publishes it to this replica: if persisting
 * fails the replica keeps serving the prior journal. Backend actions run in the order that keeps a crash
 * harmless: a key is generated before it is journaled (a crash in between leaves an unused orphan), and
 * journaled REMOVED before it is destroyed.
 *
 * <p>A replica whose journal snapshot is older than {@link RotationPolicy#jwksMaxAge()} stops signing,
 * because other replicas may have retired its ACTIVE key that long ago; the retention covers that lag.
 */
public final class RotatingKeyRing implements KeyRing {

    private static final System.Logger LOG = System.getLogger(RotatingKeyRing.class.getName());
    static final String LOST = "missing from the key backend at start-up";

    private final KeyBackend backend;
    private final LifecycleStore store;
    private final RotationPolicy policy;
    private final Clock clock;
    private final Map<String, SigningKey> resolved = new ConcurrentHashMap<>();
    private volatile View view;
    private boolean bootstrapped;

    /** What this replica serves: one journal version, resolved. {@code slot} is null when none may sign. */
    private record View(KeySet set, SigningSlot slot, List<SigningKey> published, List<KeyView> described,
                        Instant readAt, String whyNoSlot, Instant slotFrom) {
    }

    private RotatingKeyRing(KeyBackend backend, LifecycleStore store, RotationPolicy policy, Clock clock) {
        this.backend = backend;
        this.store = store;
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * Opens the journal, reconciles it with the backend and applies only what is due, so a restart
     * does not rotate. A journaled key the backend lacks is revoked (never used to sign) and, if no key is
     * left to become ACTIVE, a new one is prepared; signing then waits for its lead. Backend keys absent
     * from the journal are ignored.
     *
     * @throws SignetException UNAVAILABLE if the store or backend cannot be reached
     */
    public static RotatingKeyRing start(KeyBackend backend, LifecycleStore store, RotationPolicy policy,
                                        Clock clock) {
        RotatingKeyRing ring = new RotatingKeyRing(backend, store, policy, clock);
        Instant now = clock.instant();
        LifecycleStore.Lock lock = store.lock();
        try {
            KeySet loaded = store.load();
            ring.bootstrapped = loaded.unstarted();
            KeySet set = ring.reconcile(now, loaded);
            ring.swap(ring.applyDue(now, set), now);
        } finally {
            lock.close();
        }
        return ring;
    }

    /** {@link #start} with the journal in {@code issuerDir} (one directory per issuer in the data dir). */
    public static RotatingKeyRing start(KeyBackend backend, Path issuerDir, RotationPolicy policy, Clock clock) {
        return start(backend, new FileLifecycleStore(issuerDir), policy, clock);
    }

    public RotationPolicy policy() {
        return policy;
    }

    /**
     * True if this replica started the issuer's journal: nothing of this issuer was published before it
     * started, so no verifier can have cached a JWKS without its keys.
     */
    public boolean bootstrapped() {
        return bootstrapped;
    }

    /** The journal this replica serves. */
    public KeySet keySet() {
        return view.set();
    }

    /**
     * @throws SignetException UNAVAILABLE when no key may sign (recovering, waiting for a prepared key's
     *                         lead) or this replica's journal snapshot is older than the JWKS max-age
     */
    @Override
    public SigningSlot signingSlot() {
        View v = view;
        Instant now = clock.instant();
        if (v.slot() == null) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, v.whyNoSlot(), retryAfter(now, v.slotFrom()), null);
        }
        if (now.isAfter(v.readAt().plus(policy.jwksMaxAge()))) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "key journal not re-read since "
                    + v.readAt() + "; another replica may have retired this key", policy.checkInterval(), null);
        }
        return v.slot();
    }

    @Override
    public List<SigningKey> published() {
        return view.published();
    }

    @Override
    public Duration jwksMaxAge() {
        return policy.jwksMaxAge();
    }

    @Override
    public List<KeyView> describe() {
        return view.described();
    }

    /**
     * Re-reads the journal and applies what is due; the {@link Rotator} calls it every check interval.
     * The lock is taken only when something is due. Even when a transition fails, this replica adopts the
     * journal as far as it got, then the failure is thrown.
     */
    @Override
    public void tick() {
        Instant now = clock.instant();
        KeySet set = store.load();
        RuntimeException failure = null;
        Rotation.Plan plan = Rotation.step(now, set, policy);
        if (plan.next() != set || !plan.idle()) {
            LifecycleStore.Lock lock = store.lock();
            try {
                set = applyDue(now, store.load());
            } catch (RuntimeException e) {
                failure = e;
                set = reloadAfter(e, set);
            } finally {
                lock.close();
            }
        }
        swap(set, now);
        if (failure != null) {
            throw failure;
        }
    }

    /** The journal as far as a failed change got, or {@code fallback} if even reading fails. */
    private KeySet reloadAfter(RuntimeException failure, KeySet fallback) {
        try {
            return store.load();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            return fallback;
        }
    }

    /**
     * Generates a key and publishes it as PREPARED, to activate at the ACTIVE key's scheduled retirement
     * (or one lead from now, if later).
     *
     * @throws SignetException FAILED_PRECONDITION if a PREPARED key exists
     */
    public List<KeyView> prepare() {
        return operate((now, set) -> {
            requireNoPrepared(set);
            SigningKey key = generate();
            return Rotation.withNewKey(now, set, policy, key.id(), key.algorithm());
        });
    }

    /**
     * Starts a rotation now: prepares a key (or takes the PREPARED one) and activates it as soon as it has
     * been published for the lead.
     */
    public List<KeyView> rotate() {
        return operate((now, set) -> {
            Optional<KeyRecord> prepared = set.prepared();
            if (prepared.isPresent()) {
                return set.toBuilder(policy)
                        .reschedule(prepared.get().kid(), prepared.get().prepared().plus(policy.prepublishLead()))
                        .build();
            }
            SigningKey key = generate();
            return set.toBuilder(policy)
                    .prepare(key.id(), key.algorithm(), now, now.plus(policy.prepublishLead())).build();
        });
    }

    /**
     * Makes the PREPARED key {@code kid} ACTIVE now, retiring the ACTIVE one. Before its lead has passed
     * this is a forced activation, recorded in the journal: verifiers with older caches will reject its
     * tokens until they refresh.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not PREPARED
     */
    public List<KeyView> activate(String kid) {
        return operate((now, set) -> set.toBuilder(policy).activate(kid, now, "operator activation").build());
    }

    /**
     * Retires the ACTIVE key {@code kid} early, activating the PREPARED key, which must have been
     * published for the lead.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not ACTIVE or no
     *                         PREPARED key has been published for the lead (use {@link #activate} to force)
     */
    public List<KeyView> retire(String kid) {
        return operate((now, set) -> {
            KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
            if (k.state() != KeyState.ACTIVE) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is "
                        + k.state() + "; only the ACTIVE key can be retired");
            }
            KeyRecord next = set.prepared().orElseThrow(() -> new SignetException(
                    SignetException.Code.FAILED_PRECONDITION, "no PREPARED key to take over; prepare one first"));
            return set.toBuilder(policy).activate(next.kid(), now, null).build();
        });
    }

    /**
     * Emergency: unpublishes {@code kid} at once; tokens it signed stop verifying as caches refresh. If it
     * was the key to sign with, another becomes ACTIVE at once (forced): the PREPARED one, or a new one.
     *
     * @throws SignetException NOT_FOUND for an unknown kid; FAILED_PRECONDITION if it is not published
     */
    public List<KeyView> revoke(String kid) {
        return operate((now, set) -> {
            KeyRecord k = set.find(kid).orElseThrow(() -> notFound(kid));
            if (!k.state().published()) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + kid + " is "
                        + k.state() + ", not published");
            }
            String because = "operator revoked " + kid;
            KeySet.Builder b = set.toBuilder(policy).revoke(kid, now, "operator revocation");
            boolean signerGone = k.state() == KeyState.ACTIVE || set.active().isEmpty();
            if (!signerGone) {
                return b.build();
            }
            Optional<KeyRecord> successor = set.prepared().filter(p -> !p.kid().equals(kid));
            if (successor.isPresent()) {
                return b.activate(successor.get().kid(), now, because).build();
            }
            SigningKey key = generate();
            return b.prepare(key.id(), key.algorithm(), now, now).activate(key.id(), now, because).build();
        });
    }

    private interface Operation {
        KeySet apply(Instant now, KeySet set);
    }

    private List<KeyView> operate(Operation op) {
        Instant now = clock.instant();
        LifecycleStore.Lock lock = store.lock();
        try {
            KeySet set = store.load();
            set = persist(set, op.apply(now, set));
            swap(set, now);
            try {
                swap(applyDue(now, set), now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "follow-up transitions failed; the next tick retries", e);
            }
        } finally {
            lock.close();
        }
        return describe();
    }

    /** Under the lock: revokes published keys the backend lacks, and prepares a key if none could sign. */
    private KeySet reconcile(Instant now, KeySet set) {
        List<String> lost = new ArrayList<>();
        for (KeyRecord k : set.published()) {
            if (!inBackend(k.kid())) {
                lost.add(k.kid());
            }
        }
        if (lost.isEmpty()) {
            return set;
        }
        LOG.log(System.Logger.Level.ERROR, "journaled keys {0} are missing from the {1} backend; revoking them",
                lost, backend.type());
        KeySet.Builder b = set.toBuilder(policy);
        lost.forEach(kid -> b.revoke(kid, now, LOST));
        boolean signerLeft = set.active().filter(a -> !lost.contains(a.kid())).isPresent()
                || set.prepared().filter(p -> !lost.contains(p.kid())).isPresent();
        if (signerLeft) {
            return persist(set, b.build());
        }
        SigningKey key = generate();
        return persist(set, b.prepare(key.id(), key.algorithm(), now, now.plus(policy.prepublishLead())).build());
    }

    /** Under the lock: the scheduled transitions, each persisted before the backend acts on it. */
    private KeySet applyDue(Instant now, KeySet set) {
        Rotation.Plan plan = Rotation.step(now, set, policy);
        KeySet current = persist(set, plan.next());
        for (String kid : plan.destroy()) {
            try {
                backend.destroy(kid);
            } catch (SignetException e) {
                if (e.code() != SignetException.Code.NOT_FOUND) {
                    throw e;
                }
            }
            resolved.remove(kid);
            current = persist(current, current.toBuilder(policy).destroyed(kid, now).build());
        }
        if (plan.generate()) {
            SigningKey key = generate();
            current = persist(current, Rotation.withNewKey(now, current, policy, key.id(), key.algorithm()));
        }
        return current;
    }

    private SigningKey generate() {
        SigningKey key = backend.generate(policy.algorithm());
        resolved.put(key.id(), key);
        return key;
    }

    /**
     * Compare-and-swaps {@code next} over {@code current}. If that fails, keys new in {@code next} were
     * generated but never journaled: orphans that will never sign, logged for the operator to destroy.
     */
    private KeySet persist(KeySet current, KeySet next) {
        if (next == current) {
            return current;
        }
        try {
            store.compareAndSet(current.version(), next);
            return next;
        } catch (RuntimeException e) {
            for (KeyRecord k : next.keys()) {
                if (current.find(k.kid()).isEmpty()) {
                    resolved.remove(k.kid());
                    LOG.log(System.Logger.Level.WARNING, "key {0} was generated but not journaled; it will never"
                            + " sign. Destroy it in the {1} backend.", k.kid(), backend.type());
                }
            }
            throw e;
        }
    }

    private boolean inBackend(String kid) {
        try {
            resolved.put(kid, backend.get(kid));
            return true;
        } catch (SignetException e) {
            if (e.code() == SignetException.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private SigningKey resolve(String kid) {
        SigningKey key = resolved.get(kid);
        if (key != null) {
            return key;
        }
        try {
            key = backend.get(kid);
            resolved.put(kid, key);
            return key;
        } catch (SignetException e) {
            LOG.log(System.Logger.Level.ERROR, "journaled key {0} cannot be loaded from the {1} backend: {2}",
                    kid, backend.type(), e.getMessage());
            return null;
        }
    }

    /** Serves {@code set} unless this replica already serves a newer version. */
    private synchronized void swap(KeySet set, Instant readAt) {
        View old = view;
        if (old != null && old.set().version() > set.version()) {
            return;
        }
        List<SigningKey> published = new ArrayList<>();
        for (KeyRecord k : set.published()) {
            SigningKey key = resolve(k.kid());
            if (key != null) {
                published.add(key);
            }
        }
        SigningSlot slot = null;
        String why = null;
        Instant from = null;
        Optional<KeyRecord> active = set.active();
        if (active.isPresent()) {
            SigningKey key = resolve(active.get().kid());
            if (key != null) {
                slot = new SigningSlot(key, active.get().retires().plus(policy.retention()));
            } else {
                why = "the ACTIVE key " + active.get().kid() + " cannot be loaded from the backend";
            }
        } else {
            KeyRecord next = set.prepared().orElse(null);
            from = next == null ? null : next.prepared().plus(policy.prepublishLead());
            why = next == null ? "no key yet" : "no ACTIVE key; " + next.kid() + " may sign from " + from;
        }
        resolved.keySet().retainAll(set.keys().stream().map(KeyRecord::kid).toList());
        view = new View(set, slot, List.copyOf(published), describe(set), readAt, why, from);
    }

    /** Each key with its transition times, actual where they happened and projected where they will. */
    private List<KeyView> describe(KeySet set) {
        Duration p = policy.rotationPeriod();
        Duration r = policy.retention();
        return set.keys().stream().map(k -> {
            Instant activates = k.activated() != null ? k.activated() : k.state() == KeyState.PREPARED ? k.activates() : null;
            Instant retires = k.retired() != null ? k.retired() : k.retires() != null ? k.retires()
                    : k.state() == KeyState.PREPARED ? activates.plus(p) : null;
            Instant unpublishes = k.unpublished() != null ? k.unpublished() : k.unpublishes() != null ? k.unpublishes()
                    : retires != null && k.state().published() ? retires.plus(r) : null;
            return new KeyView(k.kid(), k.algorithm().name(), k.state().name(), k.prepared(), activates, retires,
                    unpublishes);
        }).toList();
    }

    private static Duration retryAfter(Instant now, Instant from) {
        if (from == null || !from.isAfter(now)) {
            return Duration.ofSeconds(1);
        }
        return Duration.between(now, from);
    }

    private static void requireNoPrepared(KeySet set) {
        set.prepared().ifPresent(p -> {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "key " + p.kid()
                    + " is PREPARED already; activate, rotate or revoke it first");
        });
    }

    private static SignetException notFound(String kid) {
        return new SignetException(SignetException.Code.NOT_FOUND, "no key " + kid + " in the journal");
    }

    @Override
    public String toString() {
        View v = view;
        return "RotatingKeyRing[" + store + ", journal v" + v.set().version() + ", active "
                + v.set().active().map(KeyRecord::kid).orElse("none") + "]";
    }
}
