package dev.signet.revocation;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.spi.SigningKey;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.zip.Deflater;

/**
 * This replica's token status lists (draft-ietf-oauth-status-list): allocates each token's bit, keeps the few
 * facts rules need about every live token in flat arrays (no per-token object, no per-token write), applies
 * revocation rules, and renders each list as a status list token signed by the master key at most once per
 * change and at most once per {@link Settings#minResign()}. See the module README for the design.
 */
public final class StatusLists {

    public static final String PATH = "/v1/status-lists/";
    public static final String MEDIA_TYPE = "application/statuslist+jwt";

    /** The kinds of rule; each names the claim it matches. */
    public enum Kind {
        JTI("jti"), TASK("task"), SUB("sub"), CLIENT_ID("client_id");

        public final String claim;

        Kind(String claim) {
            this.claim = claim;
        }
    }

    /**
     * @param window      a list takes the tokens issued in one window (it rolls over after it, or when full)
     * @param capacity    bits per list; fixed, so a list's size never changes and a verifier's cached copy
     *                    covers every index handed out in it
     * @param maxLifetime the longest a token may live; a list is unpublished this long after its window, and a
     *                    rule refuses new tokens for this long
     * @param ttl         the {@code ttl} claim: how long verifiers may cache a list
     * @param minResign   at most one backend signature per list in this interval (changes in between wait)
     */
    public record Settings(Duration window, int capacity, Duration maxLifetime, Duration ttl, Duration minResign) {
        public static Settings defaults(Duration maxLifetime) {
            return new Settings(Duration.ofHours(1), 1 << 20, maxLifetime, Duration.ofSeconds(60), Duration.ofSeconds(1));
        }

        public Settings {
            if (capacity <= 0 || capacity % 8 != 0 || capacity % RESERVE != 0) {
                throw new IllegalArgumentException("capacity must be a positive multiple of " + RESERVE);
            }
        }
    }

    /** What a rule needs about one token. {@code parentJti} is null for a minted token. */
    public record Token(String jti, Instant exp, String task, String sub, String clientId, String parentJti) {
    }

    /** A revocation rule in force; {@code covered} is how many live tokens it revoked when it was made. */
    public record Rule(String id, Kind kind, String value, String reason, Instant created, Instant expires,
                       int covered) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put(kind.claim, value);
            if (reason != null) {
                m.put("reason", reason);
            }
            m.put("created", created.toString());
            m.put("expires", expires.toString());
            m.put("covered", covered);
            if (kind != Kind.JTI) {
                m.put("refuses_new_tokens_until", expires.toString());
            }
            if (kind == Kind.CLIENT_ID) {
                m.put("note", "a compromised minter must also be removed from signet.minters: this rule does not"
                        + " disable it after it expires");
            }
            return m;
        }
    }

    /** A rendered status list token; {@code etag} is a hash of {@code body}. */
    public record Served(byte[] body, String etag, Duration ttl) {
    }

    static final int RESERVE = 4096;
    /** Indices left in a block when the next one is journaled: many fsync latencies of minting at full rate. */
    static final int AHEAD = RESERVE / 2;
    private static final System.Logger LOG = System.getLogger(StatusLists.class.getName());
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final String issuer;
    private final Path dir;
    private final Settings settings;
    private final Clock clock;
    private final Supplier<SigningKey> signer;
    private final String prefix;

    private final TreeMap<Long, StatusList> lists = new TreeMap<>(); // by creation order
    private final Map<String, StatusList> byId = new HashMap<>();
    private final Map<String, Integer> names = new HashMap<>();
    private final List<String> nameById = new ArrayList<>(List.of(""));
    private final List<Rule> rules = new ArrayList<>();
    private long nextSeq;
    private StatusList current;
    private final SharedStatus shared;
    private final Set<String> ruleIds = new HashSet<>();
    private final Map<String, Foreign> foreign = new HashMap<>();
    private long foreignRefreshedNanos = System.nanoTime() - 10_000_000_000L;
    /** Versions of the blocks of adopted lists loaded here, by "list/block". */
    private final Map<String, Long> adoptedBlocks = new HashMap<>();
    private long adoptedSeq = -1_000_000_000L;

    /** Another replica's list as it published it; its bits are decoded on first use. */
    private record Foreign(SharedStatus.PublishedList list, byte[][] bits) {
    }

    /**
     * @param dir    where allocations and rules are journaled (created 0700, files 0600); null keeps nothing
     *               across restarts (tests and benchmarks only)
     * @param prefix names this replica's lists so replicas never share an index
     * @param signer the issuer's master (backend) key
     */
    public StatusLists(String issuer, String prefix, Path dir, Settings settings, Clock clock,
                       Supplier<SigningKey> signer) {
        this(issuer, prefix, dir, settings, clock, signer, null);
    }

    /**
     * @param shared where replicas share rules and signed lists (null: a single replica); see {@link #sync()}
     */
    public StatusLists(String issuer, String prefix, Path dir, Settings settings, Clock clock,
                       Supplier<SigningKey> signer, SharedStatus shared) {
        this.shared = shared;
        this.issuer = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        this.prefix = prefix.replaceAll("[^A-Za-z0-9_-]", "_");
        this.dir = dir;
        this.settings = settings;
        this.clock = clock;
        this.signer = signer;
        if (dir != null) {
            load();
        }
    }

    /**
     * Gives {@code token} its bit, never one above the reservation journaled (fsynced) for its list, so no index
     * handed out is handed out again after a crash. Every {@value #RESERVE} tokens of a list, one journal line,
     * written ahead: when {@value #AHEAD} indices of the block are left, the thread that takes the next one
     * journals the next block after leaving the lock, so minting goes on during the fsync (one would otherwise
     * stall every minting thread each block). A thread waits only if the block runs out before that fsync ends.
     * A new list's first block is journaled outside the lock as well, by the thread that opens the list, while
     * the others wait for it (revocations, syncs and reads go on).
     *
     * @throws SignetException UNAVAILABLE when the journal cannot be written and the reserved block is used up;
     *                         PERMISSION_DENIED when a rule made since {@link #checkMinting} covers the token
     */
    public StatusRef allocate(Token token) {
        while (true) {
            StatusList ahead = null;
            int aheadTo = 0;
            StatusRef ref = null;
            synchronized (this) {
                StatusList l;
                while (true) {
                    // Again under the lock a rule is applied under, and after any wait below (which lets go of it): a
                    // rule made since checkMinting either refuses this token here or finds it in its scan, never neither.
                    refuseIfCovered(token.clientId(), token.sub(), token.task(), token.parentJti());
                    Instant now = clock.instant();
                    l = current;
                    if (l == null || l.next >= settings.capacity() || !now.isBefore(l.windowEnd)) {
                        // A new list's first block is journaled outside the lock too: the others wait for it below.
                        l = current = newList(now);
                        ahead = l;
                        aheadTo = l.extending = Math.min(settings.capacity(), RESERVE);
                        break;
                    }
                    if (l.next < l.reserved) {
                        break;
                    }
                    if (l.extending == 0) { // the journaling outside the lock failed: retried here, or refused
                        int to = Math.min(settings.capacity(), l.reserved + RESERVE);
                        journal("allocations", reservation(l, to));
                        l.reserved = to;
                    } else {
                        awaitExtension();
                    }
                }
                if (ahead == null) {
                    if (l.extending == 0 && l.reserved < settings.capacity() && l.reserved - l.next <= AHEAD) {
                        ahead = l;
                        aheadTo = l.extending = Math.min(settings.capacity(), l.reserved + RESERVE);
                    }
                    int idx = l.next++;
                    l.facts.add(idx, jti8(token.jti()), token.parentJti() == null ? 0 : jti8(token.parentJti()),
                            name(token.task()), name(token.sub()), name(token.clientId()), token.exp().getEpochSecond());
                    ref = new StatusRef(l.id, idx, l.uri);
                }
            }
            if (ahead != null) {
                extend(ahead, aheadTo, ref == null);
            }
            if (ref != null) {
                return ref;
            }
            // The new list's first block is durable (or failed, and is retried in the lock): take an index of it.
        }
    }

    /**
     * The next block of {@code l}, journaled outside the lock; this caller's own index is durable already. For a
     * new list ({@code first}) the others wait until it is journaled and, with replicas, published: a verifier may
     * ask any replica for it as soon as its first token is out.
     */
    private void extend(StatusList l, int to, boolean first) {
        SignetException failed = null;
        try {
            journal("allocations", reservation(l, to));
        } catch (SignetException e) {
            failed = e;
        }
        if (first && failed == null && shared != null) {
            try {
                publish(l);
            } catch (SignetException e) {
                // Minting goes on: sync() publishes it once the store (or the signer) answers again.
                LOG.log(System.Logger.Level.WARNING, "cannot publish the new status list " + l.id
                        + " to the other replicas yet; retrying every sync: " + e.getMessage());
            }
        }
        synchronized (this) {
            if (failed == null) {
                l.reserved = Math.max(l.reserved, to);
            }
            l.extending = 0;
            notifyAll();
        }
        if (failed != null) {
            // The next allocation past the block retries in the lock and refuses its token if the disk still fails.
            LOG.log(System.Logger.Level.WARNING, "journaling the next status list block failed; retrying when it is"
                    + " needed: " + failed.getMessage());
        }
    }

    private void awaitExtension() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(Code.UNAVAILABLE, "interrupted while the status list journal was written");
        }
    }

    private static String reservation(StatusList l, int reserved) {
        return "{\"list\":\"" + l.id + "\",\"seq\":" + l.seq + ",\"window_end\":" + l.windowEnd.getEpochSecond()
                + ",\"reserved\":" + reserved + "}";
    }

    /**
     * Puts back the facts of a token this replica issued before a restart (from its audit record), so rules made
     * after the restart cover it. Ignored (false) for a list not published here, an index never reserved, or a
     * token already expired.
     */
    public synchronized boolean restore(String listId, int idx, Token token) {
        StatusList l = byId.get(listId);
        if (l == null || idx < 0 || idx >= l.reserved || !clock.instant().isBefore(token.exp())) {
            return false;
        }
        l.facts.add(idx, jti8(token.jti()), token.parentJti() == null ? 0 : jti8(token.parentJti()),
                name(token.task()), name(token.sub()), name(token.clientId()), token.exp().getEpochSecond());
        return true;
    }

    public String uri(String listId) {
        return issuer + PATH + listId;
    }

    /**
     * Refuses a new token that a rule in force covers.
     *
     * @throws SignetException PERMISSION_DENIED naming the rule
     */
    public synchronized void checkMinting(String clientId, String sub, String task, String parentJti) {
        refuseIfCovered(clientId, sub, task, parentJti);
    }

    private void refuseIfCovered(String clientId, String sub, String task, String parentJti) {
        if (rules.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        if (parentJti != null && !recentlyRevoked.isEmpty()) {
            Long until = recentlyRevoked.get(jti8(parentJti));
            if (until != null && now.getEpochSecond() < until) {
                throw new SignetException(Code.PERMISSION_DENIED, "the subject token " + parentJti + " is revoked");
            }
        }
        for (Rule r : rules) {
            if (!now.isBefore(r.expires())) {
                continue;
            }
            String v = switch (r.kind()) {
                case TASK -> task;
                case SUB -> sub;
                case CLIENT_ID -> clientId;
                case JTI -> parentJti;
            };
            if (r.value().equals(v)) {
                throw new SignetException(Code.PERMISSION_DENIED, r.kind().claim + " " + v + " is revoked (rule "
                        + r.id() + ") until " + r.expires());
            }
        }
    }

    /**
     * Revokes every live token the rule names and, transitively, every token exchanged from one; the rule is
     * journaled (fsynced) and, with replicas, committed to the shared store before this returns. Every replica
     * applies it to the tokens it issued at its next {@link #sync()}.
     *
     * @throws SignetException INVALID_ARGUMENT for an empty value or a malformed jti; NOT_FOUND for a jti of no
     *                         live token here (with replicas: that no replica reported within
     *                         {@link #JTI_OWNER_WAIT}; the rule then stays in force);
     *                         FAILED_PRECONDITION for a jti whose token has expired; UNAVAILABLE when the
     *                         journal or the shared store cannot be written
     */
    public Rule revoke(Kind kind, String value, String reason) {
        if (value == null || value.isBlank()) {
            throw new SignetException(Code.INVALID_ARGUMENT, kind.claim + " must not be empty");
        }
        Instant now = clock.instant();
        if (kind == Kind.JTI) {
            long target = parseJti(value);
            synchronized (this) {
                Scan scan = scan(kind, value, target, now.getEpochSecond());
                if (scan.hits.isEmpty() && (shared == null || scan.expiredMatch)) {
                    throw scan.expiredMatch
                            ? new SignetException(Code.FAILED_PRECONDITION, "the token " + value + " has already expired")
                            : new SignetException(Code.NOT_FOUND, "no live token with jti " + value + " was issued here");
                }
            }
        }
        String id = ruleId();
        long seq = 0;
        if (shared != null) {
            // Outside the lock: minting goes on while the store answers.
            seq = shared.append(new Rule(id, kind, value, reason, now, now.plus(settings.maxLifetime()), 0));
        }
        Rule rule;
        synchronized (this) {
            rule = apply(id, kind, value, reason, now, seq);
        }
        if (shared == null) {
            return rule;
        }
        if (rule.covered() > 0) {
            reportCovered(id, rule.covered());
        }
        if (kind != Kind.JTI || rule.covered() > 0) {
            return rule;
        }
        // Another replica issued it, or none did: the one that did reports at its next sync (at once on the
        // notification). Waited for here, so an unknown jti gets its 404 with replicas too.
        long deadline = System.nanoTime() + JTI_OWNER_WAIT.toNanos();
        long covered;
        while ((covered = shared.covered(id)) == 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (covered == 0) {
            throw new SignetException(Code.NOT_FOUND, "no replica reported a live token with jti " + value
                    + " within " + JTI_OWNER_WAIT.toSeconds() + " s; rule " + id + " stays in force until "
                    + rule.expires() + " in case a replica that is down (or not yet adopted) issued it");
        }
        return new Rule(rule.id(), rule.kind(), rule.value(), rule.reason(), rule.created(), rule.expires(),
                (int) Math.min(Integer.MAX_VALUE, covered));
    }

    /** How often a request for an unknown list may make this replica look in the shared store. */
    static final Duration UNKNOWN_LIST_REREAD = Duration.ofMillis(100);

    /** How long a jti rule waits, with replicas, for the replica that issued the token to report it. */
    static final Duration JTI_OWNER_WAIT = Duration.ofSeconds(5);

    private void reportCovered(String id, int covered) {
        try {
            shared.addCovered(id, covered);
        } catch (SignetException e) {
            // the bits are set and journaled; only the count others read is short
            LOG.log(System.Logger.Level.WARNING, "cannot record in the store that rule {0} covered {1} tokens here: {2}",
                    id, covered, e.getMessage());
        }
    }

    private record Scan(Map<StatusList, List<Integer>> hits, long latestExp, boolean expiredMatch) {
        int covered() {
            return hits.values().stream().mapToInt(List::size).sum();
        }
    }

    /** Scans, journals (fsync), sets the bits and puts the rule in force. */
    private Rule apply(String id, Kind kind, String value, String reason, Instant created, long seq) {
        Instant now = clock.instant();
        long target = 0;
        if (kind == Kind.JTI) {
            try {
                target = parseJti(value);
            } catch (SignetException e) {
                target = Long.MIN_VALUE; // another replica's malformed rule matches nothing here
            }
        }
        Scan scan = scan(kind, value, target, now.getEpochSecond());
        Instant expires = kind == Kind.JTI && scan.latestExp > 0 ? Instant.ofEpochSecond(scan.latestExp)
                : created.plus(settings.maxLifetime());
        Rule rule = new Rule(id, kind, value, reason, created, expires, scan.covered());
        Map<String, Object> json = ruleJson(rule);
        if (seq > 0) {
            json.put("seq", seq);
        }
        StringBuilder line = new StringBuilder(JSONObjectUtils.toJSONString(json));
        line.setLength(line.length() - 1);
        line.append(",\"bits\":{");
        boolean first = true;
        for (var e : scan.hits.entrySet()) {
            line.append(first ? "" : ",").append('"').append(e.getKey().id).append("\":\"").append(ranges(e.getValue()))
                    .append('"');
            first = false;
        }
        line.append("}}");
        journal("revocations", line.toString());
        rules.add(rule);
        ruleIds.add(id);
        scan.hits.forEach(StatusList::revoke);
        // An exchange that checked its subject token's bit before this rule set it may still be on its way to
        // allocate: its child (at any depth) is refused there for a while, rather than issued unrevoked.
        long nowSec = now.getEpochSecond();
        recentlyRevoked.values().removeIf(until -> until <= nowSec);
        scan.hits.forEach((l, idxs) -> idxs.forEach(i -> recentlyRevoked.put(l.facts.jti(i), nowSec + RACE_WINDOW_SECONDS)));
        return rule;
    }

    /** How long the jtis a rule revoked refuse children at allocation (the exchange checks their bits before). */
    private static final long RACE_WINDOW_SECONDS = 60;
    /** First 64 bits of the jtis rules revoked in the last {@link #RACE_WINDOW_SECONDS}, to when. */
    private final Map<Long, Long> recentlyRevoked = new HashMap<>();

    private Scan scan(Kind kind, String value, long jti8, long nowSec) {
        return scan(kind, value, jti8, nowSec, lists.values());
    }

    /** One forward pass over the live tokens' facts in {@code over} (parents always precede their children). */
    private Scan scan(Kind kind, String value, long jti8, long nowSec, java.util.Collection<StatusList> over) {
        int match = 0;
        if (kind != Kind.JTI) {
            Integer n = names.get(value);
            match = n == null ? -1 : n;
        }
        Set<Long> revokedJtis = new HashSet<>();
        Map<StatusList, List<Integer>> hits = new LinkedHashMap<>();
        long latestExp = 0;
        boolean expiredMatch = false;
        boolean chains = over.stream().anyMatch(l -> l.facts.parents > 0);
        if (kind == Kind.JTI) {
            revokedJtis.add(jti8); // its children may be here even when it was issued by another replica
        }
        for (StatusList l : over) {
            Facts f = l.facts;
            if (!chains && kind != Kind.JTI && match < 0) {
                continue; // a name never issued matches nothing
            }
            for (int base = 0; base < f.size; base += Facts.CHUNK) {
                int c = base / Facts.CHUNK;
                int n = Math.min(Facts.CHUNK, f.size - base);
                long[] jtis = f.jti[c];
                long[] parents = f.parent[c];
                long[] exps = f.exp[c];
                long[] key = kind == Kind.JTI ? jtis : null;
                int[] column = switch (kind) {
                    case JTI -> null;
                    case TASK -> f.task[c];
                    case SUB -> f.sub[c];
                    case CLIENT_ID -> f.client[c];
                };
                for (int i = 0; i < n; i++) {
                    if (!chains) {
                        // the common case, one tight loop over one array: no token was exchanged
                        if (key != null) {
                            while (i < n && key[i] != jti8) {
                                i++;
                            }
                        } else {
                            while (i < n && column[i] != match) {
                                i++;
                            }
                        }
                        if (i == n) {
                            break;
                        }
                    } else {
                        boolean hit = key != null ? key[i] == jti8 : column[i] == match;
                        if (!hit && !(parents[i] != 0 && revokedJtis.contains(parents[i]))) {
                            continue;
                        }
                    }
                    if (jtis[i] == 0) {
                        continue; // a gap left by a restart
                    }
                    if (chains) {
                        revokedJtis.add(jtis[i]);
                    }
                    if (exps[i] <= nowSec) {
                        expiredMatch = true;
                        continue;
                    }
                    latestExp = Math.max(latestExp, exps[i]);
                    hits.computeIfAbsent(l, k -> new ArrayList<>()).add(base + i);
                }
            }
        }
        return new Scan(hits, latestExp, expiredMatch);
    }

    /**
     * Whether the bit at {@code uri}, {@code idx} is set: in this replica's lists, or in another replica's as it
     * last published it; false for a list unknown here.
     */
    public synchronized boolean isRevoked(String uri, int idx) {
        if (!uri.startsWith(issuer + PATH) || idx < 0 || idx >= settings.capacity()) {
            return false;
        }
        String id = uri.substring((issuer + PATH).length());
        StatusList l = byId.get(id);
        if (l != null) {
            return l.bit(idx);
        }
        Foreign f = foreign.get(id);
        if (f == null) {
            return false;
        }
        if (f.bits()[0] == null) {
            f.bits()[0] = decode(f.list().body());
        }
        byte[] bits = f.bits()[0];
        return idx / 8 < bits.length && (bits[idx >> 3] & (1 << (idx & 7))) != 0;
    }

    /** The bits of a status list token this issuer signed (another replica's); empty if it cannot be read. */
    private static byte[] decode(byte[] body) {
        try {
            String[] parts = new String(body, StandardCharsets.US_ASCII).split("\\.");
            Map<String, Object> claims = JSONObjectUtils.parse(new String(B64D.decode(parts[1]), StandardCharsets.UTF_8));
            @SuppressWarnings("unchecked")
            Map<String, Object> sl = (Map<String, Object>) claims.get("status_list");
            java.util.zip.Inflater inflater = new java.util.zip.Inflater();
            inflater.setInput(B64D.decode((String) sl.get("lst")));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!inflater.finished() && out.size() <= 1 << 24) {
                int n = inflater.inflate(buf);
                if (n == 0 && inflater.needsInput()) {
                    break;
                }
                out.write(buf, 0, n);
            }
            inflater.end();
            return out.toByteArray();
        } catch (java.text.ParseException | RuntimeException | java.util.zip.DataFormatException e) {
            return new byte[0];
        }
    }

    /**
     * With replicas: applies the rules other replicas made to the tokens issued here, re-signs this replica's
     * changed lists (at most once per {@link Settings#minResign()}) and publishes them, and picks up the lists
     * others published. Alone: re-signs changed lists. Run it every second and on a change notification; one
     * caller at a time.
     *
     * @throws SignetException UNAVAILABLE when the shared store cannot be reached (the next run retries)
     */
    public void sync() {
        Instant now = clock.instant();
        if (shared != null) {
            relinquish(shared.heartbeat(now));
            List<SharedStatus.SharedRule> news = shared.rules();
            List<Rule> covering = new ArrayList<>();
            synchronized (this) {
                for (SharedStatus.SharedRule r : news) {
                    Rule rule = r.rule();
                    if (!ruleIds.contains(rule.id()) && now.isBefore(rule.expires())) {
                        Rule applied = apply(rule.id(), rule.kind(), rule.value(), rule.reason(), rule.created(), r.seq());
                        if (applied.covered() > 0) {
                            covering.add(applied);
                        }
                    }
                }
            }
            covering.forEach(r -> reportCovered(r.id(), r.covered()));
        }
        if (shared != null) {
            refreshForeign();
            adopt(shared.adoptedBlocks(knownAdoptedBlocks()));
        }
        List<StatusList> own;
        synchronized (this) {
            unpublishExpired();
            own = new ArrayList<>(lists.values());
        }
        for (StatusList l : own) {
            if (shared == null) {
                l.render();
            } else {
                publish(l);
            }
        }
        if (shared != null) {
            flushFacts();
        }
    }

    /**
     * Signs {@code l} if it changed and publishes it unless that signature is published already. One publisher of a
     * list at a time, so an older signature never overwrites a newer one in the store.
     */
    private void publish(StatusList l) {
        synchronized (l.publishing) {
            Served served = l.render();
            if (!l.published) {
                shared.publish(l.id, served.body(), served.etag(), l.windowEnd.plus(settings.maxLifetime()));
                l.published = true;
            }
        }
    }

    /**
     * Writes the facts of the tokens issued here since the last sync to the shared store, a block of
     * {@value #RESERVE} indices at a time (rewritten while it fills): what a survivor needs to apply rules to
     * this replica's tokens if it dies. One transaction per sync, never one per token.
     */
    private void flushFacts() {
        List<BlockCopy> copies = new ArrayList<>();
        Map<StatusList, Integer> upTo = new HashMap<>();
        synchronized (this) { // copies only: minting waits for no deflate
            for (StatusList l : lists.values()) {
                if (l.adopted || l.next <= l.flushed) {
                    continue;
                }
                int end = Math.min(l.next, l.facts.size);
                for (int b = l.flushed / RESERVE; b * RESERVE < end; b++) {
                    copies.add(copyBlock(l, b, b * RESERVE, Math.min(end, (b + 1) * RESERVE)));
                }
                upTo.put(l, end);
            }
        }
        if (copies.isEmpty()) {
            return;
        }
        List<SharedStatus.Block> blocks = new ArrayList<>(copies.size());
        for (BlockCopy c : copies) {
            blocks.add(new SharedStatus.Block(c.list, c.block, c.exp, encodeBlock(c), 0));
        }
        shared.writeBlocks(blocks);
        synchronized (this) {
            upTo.forEach((l, end) -> l.flushed = Math.max(l.flushed, end));
        }
    }

    /** Gives up this replica's lists that another replica adopted (it thought this one dead). */
    private synchronized void relinquish(Set<String> ids) {
        for (String id : ids) {
            StatusList l = byId.get(id);
            if (l == null || l.adopted) {
                continue;
            }
            lists.remove(l.seq);
            byId.remove(id);
            if (l == current) {
                current = null;
            }
            LOG.log(System.Logger.Level.WARNING, "status list {0} was adopted by another replica while this one"
                    + " was out of touch; serving its published copy and allocating from a new list", id);
        }
    }

    private synchronized Map<String, Long> knownAdoptedBlocks() {
        return new HashMap<>(adoptedBlocks);
    }

    /**
     * Loads the facts of lists this replica signs in place of a dead one, starting from the bits their owner
     * last published, and applies every rule in force to them (again: setting a bit twice changes nothing).
     */
    private synchronized void adopt(List<SharedStatus.Block> blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        Set<StatusList> touched = new HashSet<>();
        for (SharedStatus.Block b : blocks) {
            StatusList l = byId.get(b.list());
            if (l != null && !l.adopted) {
                continue; // one of this replica's own (it came back): never adopt from oneself
            }
            if (l == null) {
                Instant windowEnd = b.exp().minus(settings.maxLifetime());
                if (!clock.instant().isBefore(b.exp())) {
                    continue;
                }
                l = new StatusList(adoptedSeq++, b.list(), windowEnd);
                l.adopted = true;
                Foreign f = foreign.remove(b.list());
                if (f != null) {
                    byte[] published = decode(f.list().body());
                    System.arraycopy(published, 0, l.bits, 0, Math.min(published.length, l.bits.length));
                }
                lists.put(l.seq, l);
                byId.put(l.id, l);
                LOG.log(System.Logger.Level.WARNING, "adopted status list {0} of a replica gone for longer than the"
                        + " adoption bound: its tokens' facts are loaded from the store and this replica signs it", l.id);
            }
            decodeBlock(b.facts(), l);
            l.reserved = Math.max(l.reserved, Math.min(settings.capacity(), (b.block() + 1) * RESERVE));
            l.next = l.flushed = l.reserved;
            adoptedBlocks.put(b.list() + "/" + b.block(), b.version());
            touched.add(l);
        }
        long nowSec = clock.instant().getEpochSecond();
        for (Rule r : rules) {
            long target = 0;
            if (r.kind() == Kind.JTI) {
                try {
                    target = parseJti(r.value());
                } catch (SignetException e) {
                    continue;
                }
            }
            scan(r.kind(), r.value(), target, nowSec, touched).hits.forEach(StatusList::revoke);
        }
    }

    /** A block's facts: its names once, then each index's jti and parent prefixes, exp and name numbers. */
    /** A block's facts copied out of the lock, names resolved to a table of the block's own. */
    private record BlockCopy(String list, int block, Instant exp, int from, long[] jti, long[] parent, long[] exps,
                             List<String> table, int[] ids) {
    }

    /** {@code from} and {@code to} lie in block {@code block}, which is one chunk of the facts. */
    private BlockCopy copyBlock(StatusList l, int block, int from, int to) {
        Facts f = l.facts;
        int base = block * Facts.CHUNK;
        Map<Integer, Integer> local = new HashMap<>();
        List<String> table = new ArrayList<>();
        int[] ids = new int[(to - from) * 3];
        for (int i = from; i < to; i++) {
            int[] cols = {f.task[block][i - base], f.sub[block][i - base], f.client[block][i - base]};
            for (int c = 0; c < 3; c++) {
                int global = cols[c];
                ids[(i - from) * 3 + c] = global == 0 ? 0 : local.computeIfAbsent(global, g -> {
                    table.add(nameById.get(g));
                    return table.size();
                });
            }
        }
        return new BlockCopy(l.id, block, l.windowEnd.plus(settings.maxLifetime()), from,
                Arrays.copyOfRange(f.jti[block], from - base, to - base),
                Arrays.copyOfRange(f.parent[block], from - base, to - base),
                Arrays.copyOfRange(f.exp[block], from - base, to - base), table, ids);
    }

    private static byte[] encodeBlock(BlockCopy c) {
        int from = c.from();
        int to = from + c.jti().length;
        List<String> table = c.table();
        int[] ids = c.ids();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.util.zip.DeflaterOutputStream(bytes))) {
            out.writeInt(1); // format
            out.writeInt(from);
            out.writeInt(to - from);
            out.writeInt(table.size());
            for (String name : table) {
                byte[] b = name.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
            for (int i = from; i < to; i++) {
                out.writeLong(c.jti()[i - from]);
                out.writeLong(c.parent()[i - from]);
                out.writeLong(c.exps()[i - from]);
                for (int k = 0; k < 3; k++) {
                    out.writeInt(ids[(i - from) * 3 + k]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private void decodeBlock(byte[] block, StatusList l) {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.util.zip.InflaterInputStream(
                new java.io.ByteArrayInputStream(block)))) {
            if (in.readInt() != 1) {
                throw new IOException("unknown block format");
            }
            int from = in.readInt();
            int n = in.readInt();
            int[] names = new int[in.readInt() + 1];
            for (int k = 1; k < names.length; k++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                names[k] = name(new String(b, StandardCharsets.UTF_8));
            }
            if (from < 0 || n < 0 || from + n > settings.capacity()) {
                throw new IOException("indices out of range");
            }
            for (int i = from; i < from + n; i++) {
                long jti = in.readLong();
                long parent = in.readLong();
                long exp = in.readLong();
                int task = names[in.readInt()];
                int sub = names[in.readInt()];
                int client = names[in.readInt()];
                if (jti == 0) {
                    l.facts.gap(i + 1);
                } else {
                    l.facts.add(i, jti, parent, task, sub, client, exp);
                }
            }
        } catch (IOException | RuntimeException e) {
            // A damaged block only leaves its tokens to die by exp; the others are still revocable.
            LOG.log(System.Logger.Level.ERROR, "cannot read a block of the adopted status list {0}: {1}", l.id,
                    e.getMessage());
        }
    }

    /** Runs {@code onChange} when another replica changes a rule or a list (nothing for a single replica). */
    public void subscribe(Runnable onChange) {
        if (shared != null) {
            shared.subscribe(onChange);
        }
    }

    private void refreshForeign() {
        Map<String, String> known = new HashMap<>();
        synchronized (this) {
            foreignRefreshedNanos = System.nanoTime();
            foreign.forEach((id, f) -> known.put(id, f.list().etag()));
            // This replica's own lists are never taken from the store; name them so their bodies are not sent.
            byId.forEach((id, l) -> known.put(id, l.served == null ? "" : l.served.etag()));
        }
        List<SharedStatus.PublishedList> got = shared.changedLists(known);
        synchronized (this) {
            for (SharedStatus.PublishedList p : got) {
                if (!byId.containsKey(p.id())) {
                    foreign.put(p.id(), new Foreign(p, new byte[1][]));
                }
            }
        }
    }

    /** The rules in force now. */
    public synchronized List<Rule> rules() {
        Instant now = clock.instant();
        rules.removeIf(r -> !now.isBefore(r.expires()));
        return List.copyOf(rules);
    }

    /**
     * The status list token for {@code id}, re-signed when its bits changed and the last signature is at least
     * {@link Settings#minResign()} old, or when its {@code exp} is near; empty for a list unknown or unpublished.
     */
    public Optional<Served> served(String id) {
        StatusList l;
        Foreign f;
        boolean refresh;
        synchronized (this) {
            unpublishExpired();
            l = byId.get(id);
            f = foreign.get(id);
            // A list published since the last look (its owner publishes it before its first token goes out): look
            // again, at most every UNKNOWN_LIST_REREAD (unknown ids are free to send).
            refresh = l == null && f == null && shared != null
                    && System.nanoTime() - foreignRefreshedNanos > UNKNOWN_LIST_REREAD.toNanos();
        }
        if (l != null) {
            // With replicas only sync() re-signs, so the bytes served here are the bytes published to the others.
            return Optional.of(shared == null ? l.render() : l.latest());
        }
        if (refresh) {
            try {
                refreshForeign();
            } catch (SignetException e) {
                // served from what is cached; the store's health is reported elsewhere
            }
            synchronized (this) {
                f = foreign.get(id);
            }
        }
        return f == null ? Optional.empty()
                : Optional.of(new Served(f.list().body(), f.list().etag(), settings.ttl()));
    }

    /** Ids of the lists served now, oldest first. */
    public synchronized List<String> published() {
        unpublishExpired();
        List<String> ids = new ArrayList<>(lists.values().stream().map(l -> l.id).toList());
        ids.addAll(new java.util.TreeSet<>(foreign.keySet()));
        return ids;
    }

    private void unpublishExpired() {
        Instant now = clock.instant();
        lists.values().removeIf(l -> {
            boolean gone = !now.isBefore(l.windowEnd.plus(settings.maxLifetime()));
            if (gone) {
                byId.remove(l.id);
                if (l == current) {
                    current = null;
                }
            }
            return gone;
        });
        foreign.values().removeIf(f -> !now.isBefore(f.list().exp()));
    }

    private StatusList newList(Instant now) {
        long w = settings.window().toSeconds();
        long start = now.getEpochSecond() / w * w;
        StatusList l = new StatusList(nextSeq++, prefix + "-" + start + "-" + (nextSeq - 1),
                Instant.ofEpochSecond(start + w));
        lists.put(l.seq, l);
        byId.put(l.id, l);
        return l;
    }

    private int name(String value) {
        if (value == null) {
            return 0;
        }
        return names.computeIfAbsent(value, v -> {
            nameById.add(v);
            return nameById.size() - 1;
        });
    }

    private long jti8(String jti) {
        byte[] b = B64D.decode(jti);
        long v = ByteBuffer.wrap(Arrays.copyOf(b, 8)).getLong();
        return v == 0 ? 1 : v; // 0 marks a gap
    }

    private long parseJti(String jti) {
        try {
            byte[] b = B64D.decode(jti);
            if (b.length != 16 || !B64.encodeToString(b).equals(jti)) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "jti must be a Signet token id (22 base64url characters)");
        }
        return jti8(jti);
    }

    private String ruleId() {
        byte[] b = new byte[9];
        new java.security.SecureRandom().nextBytes(b);
        return B64.encodeToString(b);
    }

    private static Map<String, Object> ruleJson(Rule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("kind", r.kind().name());
        m.put("value", r.value());
        m.put("reason", r.reason());
        m.put("created", r.created().getEpochSecond());
        m.put("expires", r.expires().getEpochSecond());
        m.put("covered", r.covered());
        return m;
    }

    /** Sorted indices as "a-b,c,d-e". */
    private static String ranges(List<Integer> idxs) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < idxs.size(); ) {
            int j = i;
            while (j + 1 < idxs.size() && idxs.get(j + 1) == idxs.get(j) + 1) {
                j++;
            }
            s.append(s.isEmpty() ? "" : ",").append(idxs.get(i));
            if (j > i) {
                s.append('-').append(idxs.get(j));
            }
            i = j + 1;
        }
        return s.toString();
    }

    /** Journal appends: one at a time, so lines never interleave (allocations are also journaled outside the lock). */
    private final Object journalLock = new Object();

    private void journal(String name, String line) {
        if (dir == null) {
            return;
        }
        journalWriter.append(name, line);
    }

    /** Where journal lines go: the files, or a test's wrapper around them. */
    interface JournalWriter {
        void append(String name, String line);
    }

    JournalWriter journalWriter = this::writeJournal;

    private void writeJournal(String name, String line) {
        synchronized (journalLock) {
            writeLine(name, line);
        }
    }

    private void writeLine(String name, String line) {
        try (FileChannel ch = FileChannel.open(dir.resolve(name + ".jsonl"), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            throw new SignetException(Code.UNAVAILABLE, "cannot journal " + name + " under " + dir + ": "
                    + e.getMessage() + "; fix the disk or permissions", e);
        }
    }

    /** Replays the journals: lists resume after their last reservation (the rest of that block is a gap). */
    private void load() {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            for (String name : List.of("allocations", "revocations")) {
                Path p = dir.resolve(name + ".jsonl");
                if (!Files.exists(p)) {
                    Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
            }
            Instant now = clock.instant();
            for (String line : Files.readAllLines(dir.resolve("allocations.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> m = parse(line, "allocations");
                String id = (String) m.get("list");
                long seq = ((Number) m.get("seq")).longValue();
                StatusList l = byId.get(id);
                if (l == null) {
                    l = new StatusList(seq, id, Instant.ofEpochSecond(((Number) m.get("window_end")).longValue()));
                    lists.put(seq, l);
                    byId.put(id, l);
                }
                l.reserved = ((Number) m.get("reserved")).intValue();
                l.next = l.reserved;
                l.facts.gap(l.reserved);
                nextSeq = Math.max(nextSeq, seq + 1);
            }
            for (String line : Files.readAllLines(dir.resolve("revocations.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> m = parse(line, "revocations");
                Rule r = new Rule((String) m.get("id"), Kind.valueOf((String) m.get("kind")), (String) m.get("value"),
                        (String) m.get("reason"), Instant.ofEpochSecond(((Number) m.get("created")).longValue()),
                        Instant.ofEpochSecond(((Number) m.get("expires")).longValue()),
                        ((Number) m.get("covered")).intValue());
                if (now.isBefore(r.expires())) {
                    rules.add(r);
                }
                ruleIds.add(r.id());
                @SuppressWarnings("unchecked")
                Map<String, Object> bits = (Map<String, Object>) m.get("bits");
                bits.forEach((list, spec) -> {
                    StatusList l = byId.get(list);
                    if (l != null) {
                        List<Integer> idxs = new ArrayList<>();
                        for (String range : ((String) spec).split(",")) {
                            String[] ab = range.split("-");
                            int a = Integer.parseInt(ab[0]);
                            int b = ab.length == 1 ? a : Integer.parseInt(ab[1]);
                            for (int i = a; i <= b; i++) {
                                idxs.add(i);
                            }
                        }
                        l.revoke(idxs);
                    }
                });
            }
            unpublishExpired();
            for (StatusList l : lists.values()) {
                l.flushed = l.next;
            }
            // With replicas a list may have been adopted while this one was down: start a new one at once.
            if (!lists.isEmpty() && shared == null) {
                current = lists.lastEntry().getValue(); // allocate() starts a new one if it is full or past
            }
        } catch (IOException e) {
            throw new SignetException(Code.UNAVAILABLE, "cannot read the status list journals under " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    private static Map<String, Object> parse(String line, String name) {
        try {
            return JSONObjectUtils.parse(line);
        } catch (java.text.ParseException e) {
            throw new SignetException(Code.INTERNAL, "the status list journal " + name + ".jsonl is damaged ("
                    + e.getMessage() + "); restore it from backup: starting without it would re-use indices or"
                    + " forget revocations");
        }
    }

    /** Per-token facts as parallel arrays: 36 bytes a token, grown in place. */
    /**
     * Per-token facts by index, in chunks of {@value #CHUNK} (one block of indices): growing allocates the next
     * chunk and never copies what is there, so a list near its capacity does not copy tens of MB under the lock.
     */
    static final class Facts {
        static final int CHUNK = RESERVE;
        private static final int SHIFT = Integer.numberOfTrailingZeros(CHUNK);
        final long[][] jti;
        final long[][] parent;
        final int[][] task;
        final int[][] sub;
        final int[][] client;
        final long[][] exp;
        int size;
        int parents;

        /** @param capacity a multiple of {@value #CHUNK}: no index reaches it */
        Facts(int capacity) {
            int chunks = capacity / CHUNK;
            jti = new long[chunks][];
            parent = new long[chunks][];
            task = new int[chunks][];
            sub = new int[chunks][];
            client = new int[chunks][];
            exp = new long[chunks][];
        }

        void add(int idx, long jti8, long parent8, int task, int sub, int client, long exp) {
            ensure(idx + 1);
            int c = idx >>> SHIFT;
            int i = idx & (CHUNK - 1);
            this.jti[c][i] = jti8;
            this.parent[c][i] = parent8;
            if (parent8 != 0) {
                parents++;
            }
            this.task[c][i] = task;
            this.sub[c][i] = sub;
            this.client[c][i] = client;
            this.exp[c][i] = exp;
            size = Math.max(size, idx + 1);
        }

        long jti(int idx) {
            return jti[idx >>> SHIFT][idx & (CHUNK - 1)];
        }

        /** Indices below {@code n} were handed out before a restart; their facts are not here. */
        void gap(int n) {
            ensure(n);
            size = Math.max(size, n);
        }

        private void ensure(int n) {
            for (int c = 0; c < (n + CHUNK - 1) >>> SHIFT; c++) {
                if (jti[c] == null) {
                    jti[c] = new long[CHUNK];
                    parent[c] = new long[CHUNK];
                    task[c] = new int[CHUNK];
                    sub[c] = new int[CHUNK];
                    client[c] = new int[CHUNK];
                    exp[c] = new long[CHUNK];
                }
            }
        }
    }

    private final class StatusList {
        final long seq;
        final String id;
        final Instant windowEnd;
        final String uri;
        final byte[] bits = new byte[settings.capacity() / 8];
        final Facts facts = new Facts(settings.capacity());
        int next;
        /** Indices below this are journaled (durable); only these are handed out. */
        int reserved;
        /** The reservation being journaled outside the lock, or 0. */
        int extending;
        /** Facts below this index are in the shared store (replicas only). */
        int flushed;
        /** Issued by another replica, which is gone: signed here in its place (replicas only). */
        boolean adopted;
        long version;
        private long renderedVersion = -1;
        private Instant signedAt = Instant.MIN;
        private Served served;
        /** Whether {@link #served} has been published to the other replicas. */
        volatile boolean published;
        /** Held while publishing (a store call): not {@code this}, which revocations and reads take. */
        final Object publishing = new Object();

        StatusList(long seq, String id, Instant windowEnd) {
            this.seq = seq;
            this.id = id;
            this.windowEnd = windowEnd;
            this.uri = uri(id);
        }

        /** All of a rule's bits at once: a signature never shows half a rule. */
        synchronized void revoke(List<Integer> idxs) {
            for (int idx : idxs) {
                bits[idx >> 3] |= (byte) (1 << (idx & 7));
            }
            version++;
        }

        synchronized boolean bit(int idx) {
            return (bits[idx >> 3] & (1 << (idx & 7))) != 0;
        }

        synchronized Served render() {
            Instant now = clock.instant();
            boolean changed = version != renderedVersion;
            boolean mayResign = !now.isBefore(signedAt.plus(settings.minResign()));
            if (served == null || (changed && mayResign)) {
                served = sign(now);
                renderedVersion = version;
                signedAt = now;
                published = false;
            }
            return served;
        }

        /** The last signed bytes; signs only a list never signed. */
        synchronized Served latest() {
            return served != null ? served : render();
        }

        private Served sign(Instant now) {
            SigningKey key = signer.get();
            Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
            d.setInput(bits);
            d.finish();
            ByteArrayOutputStream z = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                z.write(buf, 0, d.deflate(buf));
            }
            d.end();
            Instant exp = windowEnd.plus(settings.maxLifetime());
            long iat = now.getEpochSecond();
            String header = "{\"alg\":\"" + key.algorithm().jwsName() + "\",\"kid\":\"" + key.id()
                    + "\",\"typ\":\"statuslist+jwt\"}";
            String payload = "{\"sub\":\"" + uri(id) + "\",\"iat\":" + iat + ",\"exp\":" + exp.getEpochSecond()
                    + ",\"ttl\":" + settings.ttl().toSeconds() + ",\"status_list\":{\"bits\":1,\"lst\":\""
                    + B64.encodeToString(z.toByteArray()) + "\"}}";
            String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + '.'
                    + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
            byte[] sig = key.sign(input.getBytes(StandardCharsets.US_ASCII));
            byte[] body = (input + '.' + B64.encodeToString(sig)).getBytes(StandardCharsets.US_ASCII);
            return new Served(body, etag(body), settings.ttl());
        }
    }

    private static String etag(byte[] body) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + B64.encodeToString(Arrays.copyOf(h, 16)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
