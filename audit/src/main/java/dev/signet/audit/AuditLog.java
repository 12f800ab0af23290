package dev.signet.audit;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One replica's append-only audit log: JSON lines in segment files, each line carrying the SHA-256 of the line
 * before it ({@code prev}), with checkpoints signed by the issuer's backend key every {@code checkpointEvery}
 * records or {@code checkpointInterval}, and as the first record of every segment.
 *
 * <p>The canonical encoding a hash covers is the stored line itself (UTF-8, without its newline): the verifier
 * hashes the bytes it reads and never re-serialises. One writer thread owns the chain; callers serialise their
 * fields in parallel and wait on a receipt. Records of concurrent requests share one {@code fsync} (group commit).
 * When a write fails (disk full, permissions) the batch is cut back off the file, every waiting caller gets
 * UNAVAILABLE with Retry-After, and {@link #failure()} says why until a later write succeeds.
 */
public final class AuditLog implements AuditTrail, AutoCloseable {

    /**
     * SYNC: a receipt completes after its record's fdatasync. ASYNC: at once; records are written as they come (at
     * most {@link #ASYNC_TICK_NANOS} later) and made durable every {@link #ASYNC_FORCE}, so a crash may lose up to
     * that much of the last records.
     */
    public enum Durability { SYNC, ASYNC }

    /** ASYNC: how often the written records are made durable. */
    static final Duration ASYNC_FORCE = Duration.ofSeconds(1);
    /**
     * ASYNC: while records keep coming, the writer takes them every this often instead of being woken by each:
     * a wake-up per record cost more than the record (a futex wake and an IPI per token).
     */
    static final long ASYNC_TICK_NANOS = 1_000_000;

    /**
     * @param dir                this replica's log directory (created 0700)
     * @param segmentBytes       roll to a new segment past this size
     * @param segmentAge         or past this age
     * @param retention          whole segments older than this are removed, if the next one starts at a checkpoint
     */
    public record Options(Path dir, String replica, Durability durability, long segmentBytes, Duration segmentAge,
                          int checkpointEvery, Duration checkpointInterval, Duration retention, int queueCapacity) {

        /** The replica id and types are written unquoted-escaped, so they are restricted to a safe charset. */
        public Options {
            if (replica == null || !replica.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "a replica id is 1-64 characters of A-Z a-z 0-9 . _ -");
            }
        }

        public static Options defaults(Path dir, String replica) {
            return new Options(dir, replica, Durability.SYNC, 64L << 20, Duration.ofHours(24), 10_000,
                    Duration.ofSeconds(60), Duration.ofDays(400), 65_536);
        }

        public Options with(Durability d) {
            return new Options(dir, replica, d, segmentBytes, segmentAge, checkpointEvery, checkpointInterval,
                    retention, queueCapacity);
        }

        public Options withSegments(long bytes, Duration age) {
            return new Options(dir, replica, durability, bytes, age, checkpointEvery, checkpointInterval,
                    retention, queueCapacity);
        }

        public Options withCheckpoints(int every, Duration interval) {
            return new Options(dir, replica, durability, segmentBytes, segmentAge, every, interval, retention,
                    queueCapacity);
        }

        public Options withRetention(Duration r) {
            return new Options(dir, replica, durability, segmentBytes, segmentAge, checkpointEvery,
                    checkpointInterval, r, queueCapacity);
        }
    }

    private static final System.Logger LOG = System.getLogger(AuditLog.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(2);
    private static final int MAX_BATCH = 4096;

    /**
     * One receipt's records (one, or a batch request's), written in one group and completed together. A record's
     * tail is its members' UTF-8 after the chain's own ({@code ,"jti":...}} or {@code }}), encoded by the
     * requesting thread so the single writer only frames, hashes and writes bytes.
     */
    private record Pending(String[] types, byte[][] tails, CompletableFuture<Void> done) {
    }

    private static final Pending STOP = new Pending(new String[0], new byte[0][], null);

    private final Options options;
    private final CheckpointKeys keys;
    private final Clock clock;
    private final Segments.Opener opener;
    private final BlockingQueue<Pending> queue;
    private final Thread writer;

    // Owned by the writer thread (and by open() before it starts).
    private Segments.Sink sink;
    private Instant segmentOpened;
    /** The end of the last group written whole (and made durable, with SYNC): a failed write is cut back to it. */
    private long writtenSize;
    private long nextSeq;
    private String prev;
    private long sinceCheckpoint;
    private Instant lastCheckpoint;
    /** ASYNC: records written since the last fdatasync, and when it was. */
    private boolean unforced;
    private Instant lastForce;
    private String checkpointKid;
    private final GroupCommit groupCommit = new GroupCommit();
    /** Groups of receipts written and made durable, one fdatasync each (written by the writer alone). */
    private volatile long groupsWritten;
    /** Records the writer has taken off the queue (writer-owned), and records ever queued (by requests). */
    private long taken;
    private final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();
    /** While the writer gathers: the count of {@link #queued} at which the request that reaches it wakes it. */
    private volatile long wakeAt = Long.MAX_VALUE;
    /** Admitted requests at work (see {@link AuditTrail#admission}), or null when nobody said. */
    private volatile java.util.function.IntSupplier atWork;
    /** True while the writer gathers: {@link #nobodyAtWork} wakes it then. */
    private volatile boolean gathering;
    /**
     * With this many admitted requests at work the cores have a backlog: a group is held open up to
     * {@link #BUSY_WINDOW_NANOS} for at most {@link #BUSY_RECORDS} (the parked requests' CPU is used by the others
     * either way, and each one more shares the fdatasync).
     */
    static final int BUSY = 8;
    static final long BUSY_WINDOW_NANOS = 4_000_000;
    static final int BUSY_RECORDS = 64;
    private final MessageDigest sha256 = sha256();
    /** The writer's group being framed, reused: records are assembled as bytes, never as strings. */
    private static final int GROUP_BUFFER = 64 << 10;
    private static final int GROUP_BUFFER_KEPT = 1 << 20;
    private byte[] buf = new byte[GROUP_BUFFER];
    private int pos;
    private final byte[] digest = new byte[32];
    private final byte[] prevBytes = new byte[43];
    private final Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();

    /** Unauthenticated refusals by "source reason", flushed as {@code refusals} records every interval. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> unauthenticated =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Rate-limited refusals by minter (configured, so bounded), flushed with them. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> rateLimited =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_SOURCES = 1024;
    private static final Duration REFUSALS_EVERY = Duration.ofSeconds(10);
    private Instant refusalsSince;

    private volatile java.util.function.Consumer<Head> onCheckpoint = h -> {
    };

    private volatile String failure;
    private volatile Instant failedAt;
    private volatile boolean closed;

    private AuditLog(Options options, CheckpointKeys keys, Clock clock, Segments.Opener opener) {
        this.options = options;
        this.keys = keys;
        this.clock = clock;
        this.opener = opener;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.writer = Thread.ofPlatform().name("signet-audit-writer").daemon().unstarted(this::run);
    }

    /**
     * Opens (or creates) the log, cutting a torn last record left by a crash.
     *
     * @throws SignetException UNAVAILABLE if the directory cannot be written; INTERNAL if the last record is
     *                         damaged (not a torn write): run {@code signet audit verify} on the directory
     */
    public static AuditLog open(Options options, CheckpointKeys keys, Clock clock) {
        return open(options, keys, clock, Segments.FILES);
    }

    /**
     * A checkpoint as written into the log, durable: the chain head it signs, its sequence number, and the JWS.
     * Kept outside the log (the PostgreSQL store keeps each replica's latest), it lets {@link AuditVerifier}
     * tell a cut tail from a crash's torn one.
     */
    public record Head(String replica, long seq, String head, String time, String jws) {
    }

    /**
     * Called on the writer thread after each checkpoint is durable; it must not block (hand the head to another
     * thread). Failures are logged, never fail the log.
     */
    public void onCheckpoint(java.util.function.Consumer<Head> listener) {
        this.onCheckpoint = java.util.Objects.requireNonNull(listener);
    }

    static AuditLog open(Options options, CheckpointKeys keys, Clock clock, Segments.Opener opener) {
        AuditLog log = new AuditLog(options, keys, clock, opener);
        try {
            log.recover();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot open the audit log in "
                    + options.dir() + ": " + e.getMessage() + " (check the directory exists and is writable)", e);
        }
        log.writer.start();
        return log;
    }

    @Override
    public Receipt append(AuditEvent event) {
        return enqueue(new String[] {event.type()}, new byte[][] {tail(event)});
    }

    /** The events share one queue entry: the writer puts them in one group, and their receipt parks once. */
    @Override
    public Receipt appendAll(List<AuditEvent> events) {
        String[] types = new String[events.size()];
        byte[][] tails = new byte[events.size()][];
        for (int i = 0; i < types.length; i++) {
            types[i] = events.get(i).type();
            tails[i] = tail(events.get(i));
        }
        return enqueue(types, tails);
    }

    private static byte[] tail(AuditEvent event) {
        return RecordJson.tail(event.fields());
    }

    private static byte[] tail(String body) {
        return (body.isEmpty() ? "}" : "," + body + "}").getBytes(StandardCharsets.UTF_8);
    }

    private Receipt enqueue(String[] types, byte[][] tails) {
        if (closed) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "the audit log is closed", RETRY_AFTER, null);
        }
        String f = failure;
        if (f != null && failedAt.plusSeconds(1).isAfter(clock.instant())) {
            throw unavailable(f);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!queue.offer(new Pending(types, tails, done))) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "the audit log is overloaded",
                    RETRY_AFTER, null);
        }
        if (queued.addAndGet(types.length) >= wakeAt) {
            wakeAt = Long.MAX_VALUE;
            java.util.concurrent.locks.LockSupport.unpark(writer);
        }
        if (options.durability() == Durability.ASYNC) {
            return () -> {
            };
        }
        return () -> {
            if (!done.isDone()) {
                DurabilityWait.park(() -> {
                    try {
                        done.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (ExecutionException e) {
                        // reported below
                    }
                });
            }
            try {
                done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("interrupted while waiting for the audit log");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof SignetException se ? se : unavailable(e.getCause().toString());
            }
        };
    }

    @Override
    public void countUnauthenticated(String source, String reason) {
        String key = (unauthenticated.size() < MAX_SOURCES ? source : "other") + ' ' + reason;
        unauthenticated.computeIfAbsent(key, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    @Override
    public void countRateLimited(String minter) {
        rateLimited.computeIfAbsent(minter, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    /**
     * Groups of requests' records made durable so far, one fdatasync each: records (or tokens) over groups is how
     * many shared an fdatasync.
     */
    public long groupsWritten() {
        return groupsWritten;
    }

    @Override
    public String failure() {
        return failure;
    }

    private static SignetException unavailable(String why) {
        return new SignetException(SignetException.Code.UNAVAILABLE, "the audit log cannot record: " + why,
                RETRY_AFTER, null);
    }

    // ---- recovery ----

    private void recover() throws IOException {
        Path dir = options.dir();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            StateFiles.syncDirectory(dir.toAbsolutePath().getParent());
        }
        List<Path> segments = Segments.list(dir);
        nextSeq = 1;
        prev = "";
        lastCheckpoint = clock.instant();
        lastForce = lastCheckpoint;
        for (int i = segments.size() - 1; i >= 0; i--) {
            byte[] last = cutTornTail(segments.get(i));
            if (last != null) {
                Map<String, Object> record = parse(last, segments.get(i));
                nextSeq = ((Number) record.get("seq")).longValue() + 1;
                prev = hash(last);
                checkpointKid = lastCheckpointKid(segments.get(i));
                break;
            }
        }
        if (segments.isEmpty() || Files.size(segments.getLast()) == 0 && segments.size() == 1) {
            openSegment(segments.isEmpty() ? Segments.name(dir, nextSeq) : segments.getLast());
            startSegment();
        } else {
            openSegment(segments.getLast());
            segmentOpened = Files.getLastModifiedTime(segments.getLast()).toInstant();
        }
    }

    /** Cuts bytes after the last newline (a write torn by a crash) and returns the last whole line, or null. */
    private static byte[] cutTornTail(Path segment) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        int end = bytes.length;
        int lastNewline = end - 1;
        while (lastNewline >= 0 && bytes[lastNewline] != '\n') {
            lastNewline--;
        }
        if (lastNewline < end - 1) {
            LOG.log(System.Logger.Level.WARNING, "audit log " + segment + ": cut a torn record of "
                    + (end - 1 - lastNewline) + " bytes at offset " + (lastNewline + 1) + " (a write interrupted by a crash; it was never acknowledged)");
            try (var ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(lastNewline + 1);
                ch.force(true);
            }
        }
        if (lastNewline < 0) {
            return null;
        }
        int start = lastNewline - 1;
        while (start >= 0 && bytes[start] != '\n') {
            start--;
        }
        return java.util.Arrays.copyOfRange(bytes, start + 1, lastNewline);
    }

    private static Map<String, Object> parse(byte[] line, Path segment) {
        try {
            Map<String, Object> record = JSONObjectUtils.parse(new String(line, StandardCharsets.UTF_8));
            if (record.get("seq") instanceof Number) {
                return record;
            }
        } catch (java.text.ParseException e) {
            // fall through
        }
        throw new SignetException(SignetException.Code.INTERNAL, "the last record of audit segment " + segment
                + " is damaged (not a torn write); run 'signet audit verify " + segment.getParent()
                + "' and move the damaged log aside to start a new one");
    }

    private static String lastCheckpointKid(Path segment) throws IOException {
        List<String> lines = Files.readAllLines(segment, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            if (line.contains("\"type\":\"checkpoint\"")) {
                try {
                    return JWSObject.parse(JSONObjectUtils.getString(JSONObjectUtils.parse(line), "jws"))
                            .getHeader().getKeyID();
                } catch (java.text.ParseException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private void openSegment(Path file) throws IOException {
        if (sink != null) {
            force();
            sink.close();
        }
        sink = opener.open(file);
        writtenSize = sink.size();
        segmentOpened = clock.instant();
    }

    /** The first record of a segment: a checkpoint when the backend can sign, so retention can start there. */
    private void startSegment() throws IOException {
        if (!checkpoint()) {
            writeNow("segment_start", "");
        }
    }

    // ---- the writer ----

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            Pending first;
            try {
                first = queue.poll(pollMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = STOP;
            }
            batch.clear();
            if (first != null && options.durability() == Durability.ASYNC && first != STOP) {
                // nobody waits: let the next millisecond's records queue up without waking this thread
                java.util.concurrent.locks.LockSupport.parkNanos(ASYNC_TICK_NANOS);
            }
            if (first != null) {
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                taken += records(batch, 0);
                gather(batch);
            }
            boolean stop = batch.removeIf(p -> p == STOP); // identity: a record's equals compares every field
            if (!batch.isEmpty()) {
                write(batch);
            }
            try {
                if (failure == null) {
                    housekeeping();
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "audit log housekeeping failed (retried): " + e.getMessage());
            }
            if (stop) {
                List<Pending> rest = new ArrayList<>();
                queue.drainTo(rest);
                taken += records(rest, 0);
                if (!rest.isEmpty()) {
                    write(rest);
                }
                return;
            }
        }
    }

    /**
     * Group commit sized by what is arriving ({@link GroupCommit}): the writer waits for the records the recent
     * arrival rate brings in a window, woken once by the request that completes the count, or at each step to see
     * whether any arrived (none: stop, the others are all waiting already), or at the window's end. When admission
     * tells how many requests are at work: with {@link #BUSY} or more the window is {@link #BUSY_WINDOW_NANOS}; with
     * none the group is written at once, woken by {@link #nobodyAtWork} (a step without arrivals then stops it only
     * if nobody is at work: a request at work is coming).
     */
    private void gather(List<Pending> batch) {
        if (options.durability() != Durability.SYNC) {
            return;
        }
        long start = System.nanoTime();
        java.util.function.IntSupplier work = atWork;
        boolean backlog = work != null && work.getAsInt() >= BUSY;
        int target = backlog ? groupCommit.open(start, queued.get(), BUSY_WINDOW_NANOS, BUSY_RECORDS)
                : groupCommit.open(start, queued.get());
        long deadline = start + (backlog ? BUSY_WINDOW_NANOS : GroupCommit.WINDOW_NANOS);
        long step = groupCommit.step();
        int group = records(batch, 0);
        gathering = true;
        try {
            while (group < target && batch.size() < MAX_BATCH && batch.getLast() != STOP) {
                if (work != null && work.getAsInt() == 0) {
                    return; // everyone admitted is waiting already: nobody else can join
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                wakeAt = taken + target - group;
                if (queued.get() < wakeAt) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(left, step));
                }
                wakeAt = Long.MAX_VALUE;
                int from = batch.size();
                queue.drainTo(batch, MAX_BATCH - from);
                if (batch.size() == from && (work == null || work.getAsInt() == 0)) {
                    return;
                }
                int more = records(batch, from);
                taken += more;
                group += more;
            }
        } finally {
            gathering = false;
        }
    }

    @Override
    public void admission(java.util.function.IntSupplier atWork) {
        this.atWork = atWork;
    }

    @Override
    public void nobodyAtWork() {
        if (gathering) {
            java.util.concurrent.locks.LockSupport.unpark(writer);
        }
    }

    private static int records(List<Pending> batch, int from) {
        int n = 0;
        for (int i = from; i < batch.size(); i++) {
            n += batch.get(i).types().length;
        }
        return n;
    }

    private long pollMillis() {
        Instant due = lastCheckpoint.plus(options.checkpointInterval());
        if (unforced && lastForce.plus(ASYNC_FORCE).isBefore(due)) {
            due = lastForce.plus(ASYNC_FORCE);
        }
        return Math.max(10, Math.min(1000, Duration.between(clock.instant(), due).toMillis()));
    }

    private void write(List<Pending> batch) {
        long seqBefore = nextSeq;
        String prevBefore = prev;
        startGroup();
        byte[] time = now().getBytes(StandardCharsets.US_ASCII);
        int records = 0;
        for (Pending p : batch) {
            for (int i = 0; i < p.types().length; i++) {
                frame(p.types()[i], p.tails()[i], time);
            }
            records += p.types().length;
        }
        endGroup();
        try {
            sink.write(ByteBuffer.wrap(buf, 0, pos));
            if (options.durability() == Durability.SYNC) {
                sink.force();
            } else {
                unforced = true;
            }
            writtenSize += pos;
            sinceCheckpoint += records;
            groupCommit.written(records);
            groupsWritten++;
            if (failure != null) {
                LOG.log(System.Logger.Level.WARNING, "audit log writes again after: " + failure);
                failure = null;
            }
            complete(batch, null);
        } catch (IOException | RuntimeException e) {
            nextSeq = seqBefore;
            prev = prevBefore;
            try {
                sink.truncate(writtenSize);
            } catch (IOException | RuntimeException ignored) {
                // the next open cuts a torn tail
            }
            failed("write to " + options.dir() + " failed: " + e.getMessage());
            complete(batch, unavailable(failure));
        }
    }

    /**
     * Answers a group's receipts from a virtual thread, not from the writer: the requests waiting on them are
     * virtual threads, and waking them from a carrier queues them there (one wake-up of the carriers per group)
     * where waking them from the platform writer woke a parked carrier, a context switch, for nearly every one.
     */
    private void complete(List<Pending> group, SignetException refusal) {
        if (options.durability() == Durability.ASYNC && refusal == null) {
            return; // nobody waits on these
        }
        Pending[] receipts = group.toArray(new Pending[0]);
        Thread.ofVirtual().start(() -> {
            for (Pending p : receipts) {
                if (refusal == null) {
                    p.done().complete(null);
                } else {
                    p.done().completeExceptionally(refusal);
                }
            }
        });
    }

    /** Writes one record at once (checkpoints, segment starts); throws on failure. */
    private void writeNow(String type, String body) throws IOException {
        long seqBefore = nextSeq;
        String prevBefore = prev;
        startGroup();
        frame(type, tail(body), now().getBytes(StandardCharsets.US_ASCII));
        endGroup();
        try {
            sink.write(ByteBuffer.wrap(buf, 0, pos));
            sink.force();
            writtenSize += pos;
        } catch (IOException | RuntimeException e) {
            nextSeq = seqBefore;
            prev = prevBefore;
            sink.truncate(writtenSize);
            throw e;
        }
        unforced = false;
        lastForce = clock.instant();
    }

    private static final byte[] SEQ = "{\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TIME = ",\"time\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLICA = "\",\"replica\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TYPE = "\",\"type\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREV = "\",\"prev\":\"".getBytes(StandardCharsets.US_ASCII);

    private int prevLength;

    private void startGroup() {
        if (buf.length > GROUP_BUFFER_KEPT) { // a burst of batches: do not hold its buffer for ever
            buf = new byte[GROUP_BUFFER];
        }
        pos = 0;
        for (int i = 0; i < prev.length(); i++) {
            prevBytes[i] = (byte) prev.charAt(i);
        }
        prevLength = prev.length();
    }

    /** Ends a group: {@code prev} as a string again, for checkpoints and for the rollback of a failed write. */
    private void endGroup() {
        prev = new String(prevBytes, 0, prevLength, StandardCharsets.US_ASCII);
    }

    /**
     * Appends one record's line and newline to the group: {@code {"seq":N,"time":...,"prev":"..."} then its tail.
     * The hash covers the line without its newline and becomes the next record's {@code prev}.
     */
    private void frame(String type, byte[] tail, byte[] time) {
        ensure(128 + time.length + options.replica().length() + type.length() + tail.length);
        int start = pos;
        put(SEQ);
        putLong(nextSeq);
        put(TIME);
        put(time);
        put(REPLICA);
        putAscii(options.replica());
        put(TYPE);
        putAscii(type);
        put(PREV);
        System.arraycopy(prevBytes, 0, buf, pos, prevLength);
        pos += prevLength;
        buf[pos++] = '"';
        put(tail);
        sha256.update(buf, start, pos - start);
        try {
            sha256.digest(digest, 0, digest.length);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
        prevLength = base64.encode(digest, prevBytes);
        buf[pos++] = '\n';
        nextSeq++;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }

    private void put(byte[] b) {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    /** Types and the replica id are checked to be ASCII without escapes (see {@link Options}, {@link AuditEvent}). */
    private void putAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            buf[pos++] = (byte) s.charAt(i);
        }
    }

    /** A non-negative sequence number in decimal. */
    private void putLong(long v) {
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = pos + digits - 1; i >= pos; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        pos += digits;
    }

    private String now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** Refuses records from now until a write succeeds again, saying why. */
    private void failed(String why) {
        failedAt = clock.instant();
        failure = why;
        LOG.log(System.Logger.Level.ERROR, "audit log: " + why + "; signing is refused until it writes again");
    }

    /** Makes what ASYNC wrote so far durable. */
    private void force() throws IOException {
        if (unforced) {
            sink.force();
            unforced = false;
        }
        lastForce = clock.instant();
    }

    private void housekeeping() throws IOException {
        Instant now = clock.instant();
        if (unforced && !now.isBefore(lastForce.plus(ASYNC_FORCE))) {
            try {
                force();
            } catch (IOException e) {
                failed("fdatasync of " + options.dir() + " failed: " + e.getMessage());
                return;
            }
        }
        if (refusalsSince == null) {
            refusalsSince = now;
        }
        if (!(unauthenticated.isEmpty() && rateLimited.isEmpty()) && !now.isBefore(refusalsSince.plus(REFUSALS_EVERY))) {
            flushRefusals(now);
        }
        boolean due = sinceCheckpoint >= options.checkpointEvery()
                || sinceCheckpoint > 0 && !now.isBefore(lastCheckpoint.plus(options.checkpointInterval()));
        if (due) {
            checkpoint();
        }
        boolean full = writtenSize >= options.segmentBytes();
        boolean old = writtenSize > 0 && !now.isBefore(segmentOpened.plus(options.segmentAge()));
        if (full || old) {
            roll();
        }
    }

    private void flushRefusals(Instant now) throws IOException {
        for (String key : List.copyOf(unauthenticated.keySet())) {
            long count = unauthenticated.remove(key).sum();
            int space = key.lastIndexOf(' ');
            writeNow("refusals", JSONObjectUtils.toJSONString(Map.of("source", key.substring(0, space),
                    "reason", key.substring(space + 1), "count", count, "since", refusalsSince.toString()))
                    .replaceAll("^\\{|\\}$", ""));
            sinceCheckpoint++;
        }
        for (String minter : List.copyOf(rateLimited.keySet())) {
            long count = rateLimited.remove(minter).sum();
            writeNow("refusals", JSONObjectUtils.toJSONString(Map.of("client_id", minter, "reason", "RATE_LIMITED",
                    "count", count, "since", refusalsSince.toString())).replaceAll("^\\{|\\}$", ""));
            sinceCheckpoint++;
        }
        refusalsSince = now;
    }

    /** Signs and writes a checkpoint (preceded by a key link when the key changed); false if the key is unavailable. */
    private boolean checkpoint() throws IOException {
        SigningKey key;
        try {
            key = keys.current();
        } catch (SignetException e) {
            LOG.log(System.Logger.Level.WARNING, "audit checkpoint postponed: the backend key is unavailable: "
                    + e.getMessage());
            lastCheckpoint = clock.instant();
            return false;
        }
        if (checkpointKid != null && !checkpointKid.equals(key.id())) {
            Optional<SigningKey> previous = keys.find(checkpointKid);
            if (previous.isPresent()) {
                String link = Checkpoints.link(previous.get(), key, options.replica(), nextSeq, prev, now());
                writeNow("key_link", "\"jws\":\"" + link + "\"");
            } else {
                LOG.log(System.Logger.Level.WARNING, "audit: checkpoint key changes from " + checkpointKid + " to "
                        + key.id() + " but the backend no longer holds the old key to sign the link; the history "
                        + "before seq " + nextSeq + " verifies from the old pin only");
            }
        }
        long seq = nextSeq;
        String head = prev;
        String time = now();
        String jws = Checkpoints.checkpoint(key, options.replica(), seq, head, time);
        writeNow("checkpoint", "\"jws\":\"" + jws + "\"");
        try {
            onCheckpoint.accept(new Head(options.replica(), seq, head, time, jws));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "audit: passing on the checkpoint head failed: " + e.getMessage());
        }
        checkpointKid = key.id();
        sinceCheckpoint = 0;
        lastCheckpoint = clock.instant();
        return true;
    }

    private void roll() throws IOException {
        openSegment(Segments.name(options.dir(), nextSeq));
        startSegment();
        applyRetention();
    }

    /** Removes whole segments older than retention, oldest first, while the next one starts at a checkpoint. */
    private void applyRetention() throws IOException {
        List<Path> segments = Segments.list(options.dir());
        Instant cutoff = clock.instant().minus(options.retention());
        for (int i = 0; i + 1 < segments.size() - 1; i++) {
            Path old = segments.get(i);
            if (!Files.getLastModifiedTime(old).toInstant().isBefore(cutoff) || !startsAtCheckpoint(segments.get(i + 1))) {
                return;
            }
            Files.delete(old);
            LOG.log(System.Logger.Level.INFO, "audit retention removed " + old.getFileName());
        }
    }

    private static boolean startsAtCheckpoint(Path segment) throws IOException {
        try (var r = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            return first != null && first.contains("\"type\":\"checkpoint\"");
        }
    }

    static String hash(byte[] line) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256().digest(line));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the writer after writing what is queued, with a final checkpoint when the backend can sign. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!queue.offer(STOP)) {
            Thread.onSpinWait();
        }
        try {
            writer.join();
            if (failure == null) {
                if (!(unauthenticated.isEmpty() && rateLimited.isEmpty())) {
                    flushRefusals(clock.instant());
                }
                if (sinceCheckpoint > 0) {
                    checkpoint();
                }
            }
            try {
                force();
            } finally {
                sink.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "audit log close: " + e.getMessage());
        }
    }
}
