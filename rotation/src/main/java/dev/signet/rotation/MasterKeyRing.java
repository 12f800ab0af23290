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
 * An issuer's master keys: the journal in a {@link LifecycleStore}, the keys in a {@link KeyBackend}, and
 * the executor of {@link Lifecycle}'s plans over the two.
 *
 * <p>Signing and publishing read one volatile snapshot of the journal and take no lock. Every change
 * (scheduled in {@link #tick()}, or an operator command) takes the store's lock, re-reads the journal,
 * asks {@link Lifecycle} for a plan, persists it, and only then serves it from this replica: if persisting
 * fails the replica keeps serving the prior journal. Backend actions run in the order that keeps a crash
 * harmless: a key is generated before it is journaled, and journaled REMOVED before it is destroyed; each call
 * is preceded by a {@link KeyIntent} in the store, so what a crash (or a paused holder that lost the lease)
 * leaves half done, an unjournaled key or a destroy that may have happened, is {@linkplain Reconcile finished}
 * by the next holder of the lock.
 *
 * <p>A replica whose journal snapshot is older than {@link RotationPolicy#jwksMaxAge()} stops signing,
 * because other replicas may have retired its ACTIVE key that long ago; the retention covers that lag.
 */
public final class MasterKeyRing implements KeyRing {

    private static final System.Logger LOG = System.getLogger(MasterKeyRing.class.getName());

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

    private MasterKeyRing(KeyBackend backend, LifecycleStore store, RotationPolicy policy, Clock clock) {
        this.backend = backend;
        this.store = store;
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * Opens the journal, reconciles it with the backend and applies only what is due, so a restart
     * does not rotate. A journaled key the backend lacks is revoked (never used to sign) and, if no key is
     * left to become ACTIVE, a new one is prepared; signing then waits for its lead. Intents left in the store
     * are settled first ({@link Reconcile}); other backend keys absent from the journal are ignored.
     *
     * @throws SignetException UNAVAILABLE if the store or backend cannot be reached
     */
    public static MasterKeyRing start(KeyBackend backend, LifecycleStore store, RotationPolicy policy,
                                     Clock clock) {
        return start(backend, store, policy, clock, false);
    }

    /**
     * {@link #start}, saying whether a new issuer may be started where one existed.
     *
     * @param initIssuer the operator's explicit {@code --init-issuer}: with no journal, start a new issuer even
     *                   though the store's marker or keys in the backend show that one existed (its outstanding
     *                   tokens stop verifying)
     * @throws SignetException FAILED_PRECONDITION without {@code initIssuer}, if there is no journal but the
     *                         issuer existed; INTERNAL if the journal is damaged
     */
    public static MasterKeyRing start(KeyBackend backend, LifecycleStore store, RotationPolicy policy,
                                     Clock clock, boolean initIssuer) {
        MasterKeyRing ring = new MasterKeyRing(backend, store, policy, clock);
        Instant now = clock.instant();
        LifecycleStore.Lock lock = store.lock();
        try {
            KeySet loaded = store.load();
            if (loaded.unstarted() && !initIssuer) {
                refuseIfIssuerExisted(store, backend, loaded, now);
            }
            ring.bootstrapped = loaded.unstarted();
            KeySet set = ring.reconcile(now, ring.settleIntents(now, loaded));
            ring.swap(ring.applyDue(now, set), now);
        } finally {
            lock.close();
        }
        return ring;
    }

    /**
     * A journal that was never written starts a new issuer, and every token of an earlier one stops verifying;
     * so when anything shows that the issuer existed, starting over needs the operator's word.
     */
    private static void refuseIfIssuerExisted(LifecycleStore store, KeyBackend backend, KeySet loaded, Instant now) {
        String evidence = null;
        if (store.issuerStarted()) {
            evidence = "the issuer marker in " + store + " shows this issuer was started there";
        } else {
            java.util.Set<String> kids = new java.util.HashSet<>(backend.list().stream().map(SigningKey::id).toList());
            // A first start that died or lost the lease between generating its key and the first journal write
            // left that key behind: its intent names it, and settling the intents destroys it. Not evidence.
            kids.removeAll(Reconcile.plan(now, loaded, store.intents(), kids, Reconcile.IN_FLIGHT).destroyOrphans());
            int keys = kids.size();
            if (keys > 0) {
                evidence = "the " + backend.type() + " backend holds " + keys + " key(s) of this issuer";
            }
        }
        if (evidence != null) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "no key journal, but " + evidence
                    + ". Restore the journal from a backup (ops/RUNBOOK.md, \"The key journal is missing or damaged\");"
                    + " to start a new issuer instead, whose tokens replace every outstanding one, run"
                    + " signet serve --init-issuer");
        }
    }

    /** {@link #start} with the journal in {@code issuerDir} (one directory per issuer in the data dir). */
    public static MasterKeyRing start(KeyBackend backend, Path issuerDir, RotationPolicy policy, Clock clock) {
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

    /** When this replica last read the journal it serves; signing stops one JWKS max-age after it. */
    public Instant journalReadAt() {
        return view.readAt();
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
     * Re-reads the journal and applies what is due; the {@link RotationScheduler} calls it every check interval.
     * The lock is taken only when something is due. Even when a transition fails, this replica adopts the
     * journal as far as it got, then the failure is thrown.
     */
    @Override
    public void tick() {
        Instant now = clock.instant();
        KeySet set = store.load();
        RuntimeException failure = null;
        Lifecycle.Plan plan = Lifecycle.step(now, set, policy);
        if (plan.next() != set || !plan.idle()) {
            LifecycleStore.Lock lock = store.lock();
            try {
                set = applyDue(now, settleIntents(now, store.load()));
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

    /** Operator {@code prepare}: see {@link Lifecycle#prepare}. */
    public List<KeyView> prepare() {
        return operate((now, set, fresh) -> Lifecycle.prepare(now, set, policy, fresh));
    }

    /** Operator {@code rotate}: see {@link Lifecycle#rotate}. */
    public List<KeyView> rotate() {
        return operate((now, set, fresh) -> Lifecycle.rotate(now, set, policy, fresh));
    }

    /** Operator {@code activate}, possibly forced: see {@link Lifecycle#activate}. */
    public List<KeyView> activate(String kid) {
        return operate((now, set, fresh) -> Lifecycle.activate(now, set, policy, kid));
    }

    /** Operator {@code retire}: see {@link Lifecycle#retire}. */
    public List<KeyView> retire(String kid) {
        return operate((now, set, fresh) -> Lifecycle.retire(now, set, policy, kid));
    }

    /** Operator {@code revoke}, the emergency: see {@link Lifecycle#revoke}. */
    public List<KeyView> revoke(String kid) {
        return operate((now, set, fresh) -> Lifecycle.revoke(now, set, policy, kid, fresh));
    }

    /** Operator {@code destroy --now}: see {@link Lifecycle#destroyNow}. */
    public List<KeyView> destroyNow(String kid) {
        return operate((now, set, fresh) -> Lifecycle.destroyNow(now, set, kid));
    }

    /** One of {@link Lifecycle}'s functions with its arguments but the journal and the generated key bound. */
    private interface Command {
        Lifecycle.Plan plan(Instant now, KeySet set, Lifecycle.NewKey fresh);
    }

    /** Under the store's lock: the command, then what became due, each persisted before it is served. */
    private List<KeyView> operate(Command command) {
        Instant now = clock.instant();
        LifecycleStore.Lock lock = store.lock();
        try {
            KeySet set = execute(now, settleIntents(now, store.load()), command);
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

    /**
     * Under the lock: persists the plan's journal, destroys what it names (journaling each), and if it asks
     * for a key, generates one and persists the command's plan with it.
     */
    private KeySet execute(Instant now, KeySet set, Command command) {
        Lifecycle.Plan plan = command.plan(now, set, null);
        KeySet current = persist(set, plan.next());
        for (String kid : plan.destroy()) {
            KeyIntent intent = KeyIntent.destroy(now, current.version(), kid);
            store.recordIntent(intent);
            destroyInBackend(kid);
            current = persist(current, Lifecycle.destroyed(now, current, kid));
            store.clearIntent(intent.id());
        }
        if (plan.generate()) {
            KeyIntent intent = KeyIntent.generate(now, current.version(), backendKids());
            store.recordIntent(intent);
            SigningKey key = generate();
            current = persist(current, command.plan(now, current, new Lifecycle.NewKey(key.id(), key.algorithm())).next());
            store.clearIntent(intent.id());
        }
        return current;
    }

    private void destroyInBackend(String kid) {
        try {
            backend.destroy(kid);
        } catch (SignetException e) {
            if (e.code() != SignetException.Code.NOT_FOUND) {
                throw e;
            }
        }
        resolved.remove(kid);
    }

    private java.util.Set<String> backendKids() {
        return backend.list().stream().map(SigningKey::id).collect(java.util.stream.Collectors.toSet());
    }

    /** Under the lock: finishes what intents left in the store by an earlier holder say was half done. */
    private KeySet settleIntents(Instant now, KeySet set) {
        List<KeyIntent> open = store.intents();
        if (open.isEmpty()) {
            return set;
        }
        Reconcile.Plan plan = Reconcile.plan(now, set, open, backendKids(), Reconcile.IN_FLIGHT);
        for (String kid : plan.destroyOrphans()) {
            LOG.log(System.Logger.Level.WARNING, "key {0} was generated in the {1} backend but never journaled"
                    + " (its generator crashed or lost the lease); destroying it", kid, backend.type());
            destroyInBackend(kid);
        }
        KeySet current = set;
        for (String kid : plan.completeDestroy()) {
            LOG.log(System.Logger.Level.WARNING, "completing the interrupted destroy of key {0}", kid);
            destroyInBackend(kid);
            Optional<KeyRecord> k = current.find(kid);
            if (k.isPresent() && k.get().state() != KeyState.DESTROYED) {
                current = persist(current, Lifecycle.destroyed(now, current, kid));
            }
        }
        plan.clear().forEach(store::clearIntent);
        return current;
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
        return execute(now, set, (n, s, fresh) -> Lifecycle.revokeLost(n, s, policy, lost, fresh));
    }

    /** Under the lock: the scheduled transitions. */
    private KeySet applyDue(Instant now, KeySet set) {
        return execute(now, set, (n, s, fresh) -> Lifecycle.step(n, s, policy, fresh));
    }

    private SigningKey generate() {
        SigningKey key = backend.generate(policy.algorithm());
        resolved.put(key.id(), key);
        return key;
    }

    /**
     * Compare-and-swaps {@code next} over {@code current}. If that fails, keys new in {@code next} were
     * generated but never journaled: orphans that will never sign, destroyed by the next holder of the lock
     * through the intent recorded before they were generated.
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
                            + " sign, and the next holder of the lock destroys it in the {1} backend", k.kid(),
                            backend.type());
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
                slot = new SigningSlot(key, policy.schedule().publishedUntil(active.get()));
            } else {
                why = "the ACTIVE key " + active.get().kid() + " cannot be loaded from the backend";
            }
        } else {
            KeyRecord next = set.prepared().orElse(null);
            from = next == null ? null : policy.schedule().leadEnds(next.prepared());
            why = next == null ? "no key yet" : "no ACTIVE key; " + next.kid() + " may sign from " + from;
        }
        resolved.keySet().retainAll(set.keys().stream().map(KeyRecord::kid).toList());
        view = new View(set, slot, List.copyOf(published), Lifecycle.describe(set, policy), readAt, why, from);
    }

    private static Duration retryAfter(Instant now, Instant from) {
        if (from == null || !from.isAfter(now)) {
            return Duration.ofSeconds(1);
        }
        return Duration.between(now, from);
    }

    @Override
    public String toString() {
        View v = view;
        return "MasterKeyRing[" + store + ", journal v" + v.set().version() + ", active "
                + v.set().active().map(KeyRecord::kid).orElse("none") + "]";
    }
}
