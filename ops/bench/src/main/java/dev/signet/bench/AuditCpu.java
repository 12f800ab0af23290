package dev.signet.bench;

import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditLog;
import dev.signet.audit.CheckpointKeys;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The durable audit trail's CPU per record, in process and without HTTP: C virtual threads each do a token's
 * worth of stand-in work (SHA-256 rounds), build the token's audit event and, unless the mode is {@code none},
 * append it and wait for its receipt. Modes alternate in turns within one run, so a shared machine's load falls
 * on all alike; per mode it prints records/s, process CPU microseconds per record (sync minus none is what the
 * trail costs), the writer thread's share, context switches per record (all threads, from /proc) and writes per
 * record (group size is the inverse).
 *
 * <pre>java -cp 'ops/bench/target/classes:ops/bench/target/lib/*' dev.signet.bench.AuditCpu [SECONDS] [ROUNDS] [THREADS] [WORK_ROUNDS] [MODES] [BATCH]</pre>
 *
 * <p>BATCH above 1 appends that many tokens' events at once ({@code appendAll}), as a batch request does.
 */
public final class AuditCpu {

    private AuditCpu() {
    }

    public static void main(String[] args) throws Exception {
        int secs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int work = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        String[] modes = (args.length > 4 ? args[4] : "none,sync").split(",");
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        Path dir = Files.createTempDirectory("audit-cpu");
        SigningKey key = InMemorySigning.generate(SigningAlgorithm.ES256);
        CheckpointKeys keys = new CheckpointKeys() {
            public SigningKey current() {
                return key;
            }

            public Optional<SigningKey> find(String kid) {
                return kid.equals(key.id()) ? Optional.of(key) : Optional.empty();
            }
        };
        System.out.printf("== AuditCpu: %d virtual threads, %d SHA-256 rounds of stand-in work per token, %s, %d per append, %d s turns, %d rounds, dir %s%n",
                threads, work, String.join("/", modes), batch, secs, rounds, dir);
        for (int r = 0; r <= rounds; r++) {
            for (String mode : modes) {
                AuditLog log = mode.equals("none") ? null : AuditLog.open(AuditLog.Options.defaults(
                        dir.resolve(mode + r), "bench").with(mode.equals("sync") ? AuditLog.Durability.SYNC
                        : AuditLog.Durability.ASYNC), keys, Clock.systemUTC());
                try {
                    String line = turn(log, r == 0 ? Math.max(secs, 10) : secs, threads, work, batch);
                    if (r > 0) {
                        System.out.printf("round %d %-5s %s%n", r, mode, line);
                    }
                } finally {
                    if (log != null) {
                        log.close();
                    }
                }
            }
        }
    }

    private static String turn(AuditLog log, int secs, int threads, int work, int batch) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder records = new LongAdder();
        List<Thread> ts = new ArrayList<>();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long writer0 = writerCpu();
        long writerUser0 = writerUser();
        long ctx0 = contextSwitches();
        long writes0 = writeSyscalls();
        long t0 = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            int id = i;
            ts.add(Thread.ofVirtual().start(() -> {
                MessageDigest sha;
                try {
                    sha = MessageDigest.getInstance("SHA-256");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                byte[] buf = ("token " + id).getBytes(StandardCharsets.UTF_8);
                long n = 0;
                List<AuditEvent> events = new ArrayList<>(batch);
                while (!stop.get()) {
                    events.clear();
                    for (int b = 0; b < batch; b++) {
                        for (int k = 0; k < work; k++) {
                            buf = sha.digest(buf);
                        }
                        events.add(AuditEvent.of("token").put("jti", "j" + id + "-" + n++).put("iat", 1764500000L)
                                .put("exp", 1764500600L).put("sub", "agent-7").put("aud", List.of("https://api.example.com"))
                                .put("client_id", "bench-minter").put("scope", List.of(Map.of("resource", "repo:acme/widgets",
                                        "actions", List.of("read")))).put("kid", "sub-" + (buf[0] & 0xff))
                                .put("status_list", "https://signet.example/status/1").put("status_idx", n).build());
                    }
                    if (log != null) {
                        try {
                            if (batch == 1) {
                                log.append(events.getFirst()).await();
                            } else {
                                log.appendAll(events).await();
                            }
                        } catch (dev.signet.spi.SignetException overloaded) { // async: a full queue refuses
                            Thread.yield();
                            continue;
                        }
                    }
                    records.add(batch);
                }
            }));
        }
        Thread.sleep(secs * 1000L);
        stop.set(true);
        for (Thread t : ts) {
            t.join();
        }
        double n = records.sum();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return String.format("%8.0f records/s  %6.1f us CPU/record (writer %5.1f, of it user %5.1f)  %5.2f ctxsw/record  %5.3f writes/record",
                n / elapsed, (os.getProcessCpuTime() - cpu0) / 1e3 / n, (writerCpu() - writer0) / 1e3 / n,
                (writerUser() - writerUser0) / 1e3 / n,
                (contextSwitches() - ctx0) / n, (writeSyscalls() - writes0) / n);
    }

    private static long writerCpu() {
        var mx = ManagementFactory.getThreadMXBean();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("signet-audit-writer")) {
                return mx.getThreadCpuTime(t.threadId());
            }
        }
        return 0;
    }

    private static long writerUser() {
        var mx = ManagementFactory.getThreadMXBean();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("signet-audit-writer")) {
                return mx.getThreadUserTime(t.threadId());
            }
        }
        return 0;
    }

    private static long contextSwitches() {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    for (String l : Files.readAllLines(t.resolve("status"))) {
                        if (l.contains("ctxt_switches")) {
                            sum += Long.parseLong(l.substring(l.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException gone) {
                    // a thread that ended
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return sum;
    }

    private static long writeSyscalls() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (l.startsWith("syscw:")) {
                    return Long.parseLong(l.substring(6).trim());
                }
            }
        } catch (java.io.IOException e) {
            // not Linux
        }
        return 0;
    }
}
