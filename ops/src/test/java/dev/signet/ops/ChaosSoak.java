package dev.signet.ops;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.signet.client.ExchangeRequest;
import dev.signet.client.OAuthErrorException;
import dev.signet.client.Proofs;
import dev.signet.client.SignetClient;
import dev.signet.issuance.CredentialHash;
import dev.signet.rotation.KeyState;
import dev.signet.rotation.SubkeyRecord;
import dev.signet.rotation.SubkeySet;
import dev.signet.store.postgres.testing.PostgresCluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The chaos soak (issue #21, RELIABILITY.md "Chaos soak"): three {@code signet serve} replicas on PostgreSQL with
 * moto KMS, first in direct mode, then (a fresh issuer) in delegated mode, half the time each; minters mint single,
 * batch and DPoP-bound tokens, exchange them and revoke some; a verifier in its own JVM ({@link SoakVerifier})
 * checks every token at a random time before its {@code exp}; faults are injected at random; the summary names
 * every count that must be zero. {@code ops/bin/soak [MINUTES]} runs it; {@link ChaosSoakTest} runs it in CI.
 */
public final class ChaosSoak {

    /** Each phase is its own issuer: KMS keeps the first one's keys, and a new journal beside them is refused. */
    static String issuer(String mode) {
        return "https://" + mode + ".signet.example.com";
    }

    static final String AUDIENCE = "https://api.example.com";
    static final String MINTER = DevModeProcessTest.MINTER;
    static final String BUILDER = "soak-builder-test-credential-0123456789";
    static final String ADMIN = DevModeProcessTest.ADMIN;
    /** The shortest timings RotationPolicy allows (lead >= 15 min + max-age): see RELIABILITY.md. */
    static final Duration MAX_AGE = Duration.ofSeconds(60);
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(5);
    /** Short, as in drills; 5 s was shorter than a first start's key generation on the loaded machine. */
    static final Duration LEASE_TTL = Duration.ofSeconds(15);
    static final Duration MAX_TTL = Duration.ofMinutes(5);
    /** A forced activation or key revoke may show an unknown kid this long: C + max(cooldown, max-age) + slack. */
    static final Duration WINDOW = CHECK_INTERVAL.plus(MAX_AGE).plus(SoakVerifier.COOLDOWN).plus(Duration.ofSeconds(10));
    /** Revocation reaches verifiers within 5 s (replicas) + the list's 60 s ttl (RUNBOOK); slack for faults. */
    static final Duration REVOCATION_BOUND = Duration.ofSeconds(5 + 60 + 30);
    /**
     * {@code signet.store.adopt-after}'s default, which the soak keeps: a rule reaches the tokens of a replica that
     * is down when it comes back, or when a survivor adopts its lists this long after it was last seen
     * (revocation/README.md, "A dead replica: adoption"); then 5 s + ttl as above.
     */
    static final Duration ADOPT_AFTER = Duration.ofMinutes(2);
    /**
     * How long a replica may take to start before the soak calls it hung. 3-10 s on an idle machine, but at load
     * 35-40 on the 2-core machine JVM starts took up to 190 s (2026-11-30, seed 2111): a hang detector, not a bound.
     */
    static final Duration START_DEADLINE = Duration.ofMinutes(10);

    enum Fault { KILL, STOP, BACKEND, POSTGRES, VERB }

    final Path dir;
    final Duration length;
    final Random random;
    final Set<Fault> faults;
    final PrintStream log;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    final Instant started = Instant.now();

    // Counts. Names starting with "!" must be zero.
    final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final List<String> faultLog = new CopyOnWriteArrayList<>();
    final Map<String, List<Long>> recoveries = new ConcurrentHashMap<>();
    /** Per replica name, when it was killed or stopped: {from, back} ({@code back} null until it is up again). */
    final Map<String, List<Instant[]>> outages = new ConcurrentHashMap<>();
    final AtomicReference<String> currentFault = new AtomicReference<>("none");

    PostgresCluster pg;
    Process moto;
    int motoPort;
    volatile KmsProxy backendProxy;
    int backendPort;

    ChaosSoak(Path dir, Duration length, long seed, Set<Fault> faults, PrintStream log) {
        this.dir = dir;
        this.length = length;
        this.random = new Random(seed);
        this.faults = faults;
        this.log = log;
    }

    /** {@code ChaosSoak [MINUTES [DIR]]}: exits 1 when a must-be-zero count is not zero. */
    public static void main(String[] args) throws Exception {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("signet-soak-");
        ChaosSoak soak = new ChaosSoak(dir, Duration.ofSeconds((long) (minutes * 60)), System.nanoTime(),
                EnumSet.allOf(Fault.class), System.out);
        List<String> failed = soak.run();
        System.exit(failed.isEmpty() ? 0 : 1);
    }

    /** Runs both phases and prints the summary; returns the must-be-zero counts that are not zero. */
    List<String> run() throws Exception {
        Files.createDirectories(dir);
        note("soak: " + length.toSeconds() + " s in " + dir + ", faults " + faults + ", load " + load());
        pg = PostgresCluster.startNew();
        Thread cleanup = new Thread(this::cleanUp, "soak-cleanup"); // Ctrl-C of ops/bin/soak
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            startMoto();
            Duration half = length.dividedBy(2);
            for (String mode : List.of("direct", "delegated")) {
                Phase phase = new Phase(mode, half);
                phases.add(phase);
                try {
                    phase.run();
                } catch (Exception | AssertionError e) {
                    violation("soak error", "phase " + mode + ": " + e);
                    phase.tearDown();
                }
            }
        } finally {
            cleanUp();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        return summary();
    }

    final List<Phase> phases = new CopyOnWriteArrayList<>();

    synchronized void cleanUp() {
        for (Phase p : phases) {
            try {
                p.tearDown();
            } catch (Exception e) {
                note("cannot tear down phase " + p.mode + ": " + e);
            }
        }
        phases.clear();
        stopBackendProxy();
        if (moto != null) {
            moto.destroy();
            try {
                moto.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            moto = null;
        }
        if (pg != null) {
            pg.close();
            pg = null;
        }
    }

    // ---------------------------------------------------------------- the deployment

    final class Replica {
        final String name;
        final int port;
        final int adminPort;
        final Path config;
        volatile Process process;
        volatile boolean stopped;

        Replica(String name, int port, int adminPort, Path config) {
            this.name = name;
            this.port = port;
            this.adminPort = adminPort;
            this.config = config;
        }

        String base() {
            return "http://127.0.0.1:" + port;
        }

        String admin() {
            return "http://127.0.0.1:" + adminPort;
        }

        boolean up() {
            Process p = process;
            return p != null && p.isAlive() && !stopped;
        }

        /**
         * Starts {@code signet serve}, again (as systemd's Restart=on-failure would) when it exits during start-up,
         * at most three times; each exit is counted.
         */
        void start() throws Exception {
            for (int attempt = 1; ; attempt++) {
                try {
                    startOnce();
                    return;
                } catch (ExitedAtStart e) {
                    count("replica exited during start-up and was started again");
                    note(e.getMessage() + ": " + e.lastLine);
                    if (attempt == 3) {
                        throw e;
                    }
                }
            }
        }

        /** Starts {@code signet serve} and waits for it, with a deadline many times a normal start. */
        void startOnce() throws Exception {
            Path out = dir.resolve(name + ".log");
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    Signet.class.getName(), "serve", "--config", config.toString());
            long from = Files.exists(out) ? Files.size(out) : 0;
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
            pb.environment().putAll(Map.of("SIGNET_INMEMORY_SIGNER", "bc", "TEST_KMS_KEY_ID", "testing-key-id",
                    "TEST_KMS_SECRET", "testing-secret"));
            process = pb.start();
            stopped = false;
            long deadline = System.nanoTime() + START_DEADLINE.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    List<String> lines = Files.readAllLines(out);
                    throw new ExitedAtStart(name + " exited at start (" + process.exitValue() + "): see " + out,
                            lines.isEmpty() ? "" : lines.getLast());
                }
                String text = Files.readString(out);
                if (text.length() > from && text.substring((int) from).contains("signet: backend")) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException(name + " did not start within " + START_DEADLINE.toSeconds() + " s: see "
                    + out);
        }

        void kill() throws InterruptedException {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }

        void signal(String signal) throws Exception {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
        }
    }

    static final class ExitedAtStart extends IllegalStateException {
        final String lastLine;

        ExitedAtStart(String message, String lastLine) {
            super(message);
            this.lastLine = lastLine;
        }
    }

    final class Phase {
        final String mode;
        final Duration phaseLength;
        final List<Replica> replicas = new ArrayList<>();
        final Map<String, Issued> issued = new ConcurrentHashMap<>();
        final List<String> recent = Collections.synchronizedList(new ArrayList<>());
        final Map<String, Instant> revokedJtis = new ConcurrentHashMap<>();
        final Map<String, Instant> revokedTasks = new ConcurrentHashMap<>();
        /** jtis and tasks whose revocation answered neither yes nor no. */
        final Set<String> uncertain = ConcurrentHashMap.newKeySet();
        final Map<String, Instant> revokedKids = new ConcurrentHashMap<>();
        /** When the revoke verb answered: journaled by then. */
        final Map<String, Instant> kidRevokeAnswered = new ConcurrentHashMap<>();
        final Map<String, Instant> unpublishes = new ConcurrentHashMap<>();
        final Map<String, String> masterOf = new ConcurrentHashMap<>();
        final List<Instant> windows = new CopyOnWriteArrayList<>();
        final AtomicLong ids = new AtomicLong();
        final AtomicLong taskGeneration = new AtomicLong();
        volatile String leaseHolder = "none";
        String dbUrl;
        volatile HttpServer balancer;
        volatile Process verifier;
        Writer toVerifier;
        final CountDownLatch verifierDone = new CountDownLatch(1);
        Instant end;
        volatile boolean stop;

        Phase(String mode, Duration phaseLength) {
            this.mode = mode;
            this.phaseLength = phaseLength;
        }

        void run() throws Exception {
            dbUrl = pg.newDatabase();
            Path password = dir.resolve("pg-password");
            Files.writeString(password, pg.password());
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
            for (String name : List.of("az-a", "az-b", "az-c")) {
                replicas.add(configure(mode + "-" + name, password));
            }
            // The first creates the issuer; the other two join it together.
            note("phase " + mode + ": starting " + replicas.getFirst().name);
            replicas.getFirst().start();
            note("phase " + mode + ": starting the other two");
            List<Thread> starts = new ArrayList<>();
            List<Exception> failures = new CopyOnWriteArrayList<>();
            for (Replica r : replicas.subList(1, replicas.size())) {
                starts.add(Thread.ofPlatform().start(() -> {
                    try {
                        r.start();
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : starts) {
                t.join();
            }
            if (!failures.isEmpty()) {
                throw failures.getFirst();
            }
            startBalancer();
            startVerifier();
            end = Instant.now().plus(phaseLength);
            note("phase " + mode + ": running until " + end.truncatedTo(ChronoUnit.SECONDS));
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofPlatform().name("minter-agent").start(() -> mintLoop(MINTER, "agent", 1)));
            threads.add(Thread.ofPlatform().name("minter-builder").start(() -> mintLoop(BUILDER, "builder", 2)));
            threads.add(Thread.ofPlatform().name("minter-agent-2").start(() -> mintLoop(MINTER, "agent", 3)));
            threads.add(Thread.ofPlatform().name("observer").start(this::observeLoop));
            Thread faulter = Thread.ofPlatform().name("faults").start(this::faultLoop);
            faulter.join();
            while (Instant.now().isBefore(end)) {
                Thread.sleep(200);
            }
            stop = true;
            for (Thread t : threads) {
                t.join(60_000);
            }
            toVerifier.write("E\n");
            toVerifier.flush();
            if (!verifierDone.await(3, TimeUnit.MINUTES)) {
                violation("verifier", "the verifier did not finish its checks within 3 minutes of the phase end");
            }
            finalChecks();
            tearDown();
            phases.remove(this);
            note("phase " + mode + ": done");
        }

        void tearDown() throws Exception {
            stop = true;
            if (verifier != null) {
                verifier.destroyForcibly();
                verifier = null;
            }
            if (balancer != null) {
                balancer.stop(0);
                balancer = null;
            }
            for (Replica r : replicas) {
                if (r.stopped) {
                    r.signal("CONT");
                }
                r.kill();
            }
        }

        Replica configure(String name, Path password) throws Exception {
            int port = DevModeProcessTest.freePort();
            int adminPort = DevModeProcessTest.freePort();
            String delegation = mode.equals("delegated") ? """
                      mode: delegated
                      delegation:
                        lifetime: PT16M
                        wrapping-key: "alias/signet-subkey-wrapping"
                    """ : "";
            String yaml = """
                    signet:
                      issuer: "%s"
                      port: %d
                    %s  admin:
                        port: %d
                        credential-hash: "%s"
                      data-dir: "%s"
                      replica-id: %s
                      rotation:
                        period: PT32M
                        prepublish-lead: PT16M
                        jwks-max-age: PT%dS
                        max-token-ttl: PT%dS
                        clock-skew: PT30S
                        check-interval: PT%dS
                      store:
                        type: postgres
                        url: "%s"
                        user: %s
                        password-file: "%s"
                        lease-ttl: PT%dS
                      backend:
                        type: kms
                        endpoint: "http://127.0.0.1:%d"
                        region: us-east-1
                        call-timeout: 5s
                        access-key-id-env: TEST_KMS_KEY_ID
                        secret-access-key-env: TEST_KMS_SECRET
                      minters:
                        - name: agent
                          credential-hash: "%s"
                          audiences: ["%s"]
                          resources: ["repo:acme/*"]
                          actions: ["read", "write"]
                          max-ttl: %d
                        - name: builder
                          credential-hash: "%s"
                          audiences: ["%s"]
                          resources: ["repo:acme/*", "build:acme/*"]
                          actions: ["read", "run"]
                          max-ttl: %d
                    """.formatted(issuer(mode), port, delegation, adminPort, CredentialHash.of(ADMIN).text(),
                    dir.resolve(name), name, MAX_AGE.toSeconds(), MAX_TTL.toSeconds(), CHECK_INTERVAL.toSeconds(),
                    dbUrl, pg.user(), password, LEASE_TTL.toSeconds(), backendPort,
                    CredentialHash.of(MINTER).text(), AUDIENCE, MAX_TTL.toSeconds(),
                    CredentialHash.of(BUILDER).text(), AUDIENCE, MAX_TTL.toSeconds());
            Path config = dir.resolve(name + ".yaml");
            Files.writeString(config, yaml);
            return new Replica(name, port, adminPort, config);
        }

        // ------------------------------------------------------------ verifier and its load balancer

        /** What a relying service reaches: one address in front of the replicas, skipping those that do not answer. */
        void startBalancer() throws IOException {
            balancer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            balancer.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            AtomicLong next = new AtomicLong();
            balancer.createContext("/", exchange -> {
                try (exchange) {
                    long first = next.getAndIncrement();
                    for (int i = 0; i < replicas.size(); i++) {
                        Replica r = replicas.get((int) ((first + i) % replicas.size()));
                        try {
                            HttpResponse<byte[]> res = http.send(HttpRequest.newBuilder(URI.create(r.base()
                                            + exchange.getRequestURI())).timeout(Duration.ofSeconds(2)).GET().build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            if (res.statusCode() >= 500) {
                                count("balancer: " + res.statusCode() + " from a replica, tried the next");
                                continue;
                            }
                            res.headers().firstValue("Cache-Control")
                                    .ifPresent(v -> exchange.getResponseHeaders().add("Cache-Control", v));
                            res.headers().firstValue("Content-Type")
                                    .ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
                            exchange.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
                            try (OutputStream out = exchange.getResponseBody()) {
                                out.write(res.body());
                            }
                            return;
                        } catch (IOException e) {
                            // down or stopped: the next one
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    count("balancer: no replica answered");
                    exchange.sendResponseHeaders(502, -1);
                }
            });
            balancer.start();
        }

        void startVerifier() throws IOException {
            String lb = "http://127.0.0.1:" + balancer.getAddress().getPort();
            verifier = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-cp", System.getProperty("java.class.path"), SoakVerifier.class.getName(), issuer(mode), lb,
                    AUDIENCE).redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("verifier.log").toFile())).start();
            toVerifier = new java.io.OutputStreamWriter(verifier.getOutputStream(), StandardCharsets.UTF_8);
            Process v = verifier;
            Thread.ofPlatform().name("verifier-reader").daemon().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(v.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("V ")) {
                            String[] f = line.split(" ");
                            checked(f[1], Instant.ofEpochMilli(Long.parseLong(f[2])), f[3]);
                        } else if (line.startsWith("DONE")) {
                            note("phase " + mode + ": verifier " + line);
                            verifierDone.countDown();
                        }
                    }
                } catch (IOException e) {
                    // the verifier ended
                }
            });
        }

        synchronized void handToVerifier(Issued t) {
            Instant now = Instant.now();
            Instant last = t.exp.isBefore(end) ? t.exp : end;
            long span = Math.max(0, Duration.between(now, last).toMillis() - 500);
            long at = now.toEpochMilli() + (span == 0 ? 0 : (long) (random.nextDouble() * span));
            try {
                toVerifier.write("T " + t.id + " " + at + " " + t.token + "\n");
                toVerifier.flush();
            } catch (IOException e) {
                violation("verifier", "cannot hand a token to the verifier: " + e);
            }
        }

        /** One verifier answer, held against what the soak knows of the token. */
        void checked(String id, Instant at, String outcome) {
            Issued t = issued.get(id);
            if (t == null) {
                return;
            }
            t.checked = true;
            Instant revoked = revokedAt(t);
            Instant keyRevoked = keyRevokedAt(t.kid);
            if (uncertain(t) && (outcome.equals("ok") || outcome.equals("revoked"))) {
                count("checks of tokens whose revocation answered neither yes nor no (not judged)");
                return;
            }
            switch (outcome) {
                case "ok" -> {
                    count("tokens verified");
                    if (revoked != null && at.isAfter(mustRefuseBy(t, revoked))) {
                        violation("revoked token accepted", t + " verified at " + at + ", revoked at " + revoked);
                    } else if (revoked != null && at.isAfter(revoked.plus(REVOCATION_BOUND))) {
                        count("revoked token accepted while its replica was down, before its return or adoption + ttl");
                    }
                }
                case "revoked" -> {
                    if (revoked != null && !revoked.isAfter(at)) {
                        count("tokens refused as revoked (revoked on purpose)");
                    } else {
                        violation("failed to verify while unexpired and unrevoked", t + " at " + at + ": " + outcome);
                    }
                }
                case "unknown_kid" -> {
                    if (keyRevoked != null && !keyRevoked.isAfter(at)) {
                        count("tokens refused after their key was revoked (on purpose)");
                    } else if (inWindow(at)) {
                        count("unknown kid inside a forced-activation/key-revoke window");
                    } else {
                        violation("unknown kid at a verifier honouring max-age", t + " at " + at);
                    }
                }
                case "expired" -> {
                    if (at.isBefore(t.exp)) {
                        violation("failed to verify while unexpired and unrevoked", t + " at " + at + ": " + outcome);
                    } else {
                        count("checks that ran after exp (verifier late; not held against the issuer)");
                    }
                }
                default -> {
                    if (keyRevoked != null && !keyRevoked.isAfter(at)) {
                        count("tokens refused after their key was revoked (on purpose)");
                    } else if (revoked != null && !revoked.isAfter(at)) {
                        count("tokens refused as revoked (revoked on purpose)");
                    } else {
                        violation("failed to verify while unexpired and unrevoked", t + " at " + at + ": " + outcome);
                    }
                }
            }
            signedAfterRevoke(t);
            Instant until = unpublishes.get(t.kid);
            if (until != null && keyRevoked == null && t.exp.isAfter(until)) {
                violation("token exp beyond its key's publication", t + ": key unpublishes " + until);
            }
        }

        boolean uncertain(Issued t) {
            return uncertain.contains(t.jti) || t.task != null && uncertain.contains(t.task)
                    || t.parent != null && uncertain(t.parent);
        }

        Instant revokedAt(Issued t) {
            Instant a = revokedJtis.get(t.jti);
            Instant b = t.task == null ? null : revokedTasks.get(t.task);
            Instant c = t.parent == null ? null : revokedAt(t.parent);
            Instant min = null;
            for (Instant i : new Instant[] {a, b, c}) {
                if (i != null && (min == null || i.isBefore(min))) {
                    min = i;
                }
            }
            return min;
        }

        /**
         * Other replicas follow a revoke at their next journal read (check-interval); one that cannot read the
         * journal stops signing when its view is max-age old. A token minted after that by the revoked key (or a
         * subkey it certified) is a failure.
         */
        void signedAfterRevoke(Issued t) {
            Instant own = kidRevokeAnswered.get(t.kid);
            String master = masterOf.get(t.kid);
            Instant viaMaster = master == null ? null : kidRevokeAnswered.get(master);
            Instant revoked = own == null ? viaMaster : viaMaster == null || own.isBefore(viaMaster) ? own : viaMaster;
            if (revoked == null || !t.minted.isAfter(revoked.plus(CHECK_INTERVAL).plusSeconds(2))) {
                return;
            }
            if (t.minted.isAfter(revoked.plus(MAX_AGE))) {
                violation("token signed by a revoked key after max-age", t + ", key revoked by " + revoked);
            } else {
                count("tokens signed by a revoked key after check-interval, within max-age");
            }
        }

        Instant keyRevokedAt(String kid) {
            Instant own = revokedKids.get(kid);
            String master = masterOf.get(kid);
            Instant viaMaster = master == null ? null : revokedKids.get(master);
            if (own == null) {
                return viaMaster;
            }
            return viaMaster == null || own.isBefore(viaMaster) ? own : viaMaster;
        }

        boolean inWindow(Instant at) {
            for (Instant w : windows) {
                if (!at.isBefore(w) && !at.isAfter(w.plus(WINDOW))) {
                    return true;
                }
            }
            return false;
        }

        void finalChecks() {
            long unchecked = issued.values().stream().filter(t -> !t.checked).count();
            if (unchecked > 0) {
                violation("tokens the verifier never checked", unchecked + " tokens");
            }
        }

        // ------------------------------------------------------------ minters

        void mintLoop(String credential, String minter, int seed) {
            Random rnd = new Random(random.nextLong() + seed);
            ECKey holder = ecKey();
            ECKey actor = ecKey();
            while (!stop && Instant.now().isBefore(end.minusSeconds(1))) {
                Replica r = replicas.get(rnd.nextInt(replicas.size()));
                int dice = rnd.nextInt(100);
                try {
                    if (dice < 50) {
                        mintOne(r, credential, minter, rnd, null);
                    } else if (dice < 70) {
                        mintBatch(r, credential, minter, rnd);
                    } else if (dice < 95) {
                        Issued parent = mintOne(r, credential, minter, rnd, holder);
                        if (parent != null) {
                            exchange(replicas.get(rnd.nextInt(replicas.size())), parent, holder, actor, rnd);
                        }
                    } else {
                        revokeSome(replicas.get(rnd.nextInt(replicas.size())), rnd);
                    }
                } catch (IOException e) {
                    refused("unreachable");
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    violation("soak error", minter + ": " + e);
                }
                try {
                    Thread.sleep(20 + rnd.nextInt(60)); // pacing, not timing: a steady trickle of requests
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        String task(Random rnd) {
            return "task-" + taskGeneration.get() + "-" + rnd.nextInt(5);
        }

        Map<String, Object> request(String minter, Random rnd, ECKey holder) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("sub", "agent-" + rnd.nextInt(20));
            m.put("aud", AUDIENCE);
            m.put("ttl", 20 + rnd.nextInt((int) MAX_TTL.toSeconds() - 20));
            // Bound tokens are exchanged for repo:acme/widgets, so they must hold it.
            String resource = minter.equals("builder") && holder == null && rnd.nextBoolean() ? "build:acme/ci"
                    : "repo:acme/widgets";
            m.put("scope", List.of(Map.of("resource", resource, "actions", List.of("read"))));
            m.put("task", task(rnd));
            if (holder != null) {
                m.put("cnf", Map.of("jkt", Proofs.thumbprint(holder)));
            }
            return m;
        }

        Issued mintOne(Replica r, String credential, String minter, Random rnd, ECKey holder) throws Exception {
            Map<String, Object> body = request(minter, rnd, holder);
            HttpResponse<String> res = post(r.base() + "/v1/tokens", "Bearer " + credential, "application/json",
                    JSONObjectUtils.toJSONString(body));
            if (res.statusCode() != 201) {
                refusedAnswer(res, "mint");
                return null;
            }
            return issuedFrom(r, (String) JSONObjectUtils.parse(res.body()).get("token"), holder != null ? "bound" : "single",
                    null);
        }

        void mintBatch(Replica r, String credential, String minter, Random rnd) throws Exception {
            List<Object> items = new ArrayList<>();
            for (int i = 0, n = 2 + rnd.nextInt(4); i < n; i++) {
                items.add(request(minter, rnd, null));
            }
            HttpResponse<String> res = post(r.base() + "/v1/tokens/batch", "Bearer " + credential, "application/json",
                    JSONObjectUtils.toJSONString(Map.of("requests", items)));
            if (res.statusCode() != 200) {
                refusedAnswer(res, "batch");
                return;
            }
            for (Map<String, Object> item : JSONObjectUtils.getJSONObjectArray(JSONObjectUtils.parse(res.body()), "results")) {
                if (item.get("token") instanceof String token) {
                    issuedFrom(r, token, "batch", null);
                } else {
                    Object problem = item.get("problem");
                    Object status = problem instanceof Map<?, ?> p ? p.get("status") : null;
                    refused("batch item " + status);
                }
            }
        }

        void exchange(Replica r, Issued parent, ECKey holder, ECKey actor, Random rnd) throws Exception {
            try (SignetClient client = SignetClient.builder(URI.create(r.base())).issuer(issuer(mode)).httpClient(http)
                    .maxAttempts(1).attemptTimeout(Duration.ofSeconds(5)).build()) {
                var child = client.exchange(ExchangeRequest.builder(parent.token).proofKey(holder)
                        .actor("sub-agent-" + rnd.nextInt(5), actor).allow("repo:acme/widgets", "read").build());
                count("token exchanges");
                issuedFrom(r, child.accessToken(), "exchanged", parent);
            } catch (OAuthErrorException e) {
                if (e.status() >= 500 && !(e.status() == 503 && e.retryAfter().isPresent())) {
                    violation("5xx other than 503 with Retry-After", "exchange at " + r.name + ": " + e.status() + " "
                            + e.error() + " " + e.description());
                }
                if (e.status() == 400 && "invalid_grant".equals(e.error()) && revokedAt(parent) != null) {
                    count("exchanges refused: parent revoked (on purpose)");
                } else {
                    refused("exchange " + e.status() + " " + e.error());
                }
            } catch (java.io.UncheckedIOException e) {
                refused("unreachable");
            }
        }

        Issued issuedFrom(Replica r, String token, String kind, Issued parent) throws Exception {
            SignedJWT jwt = SignedJWT.parse(token);
            var claims = jwt.getJWTClaimsSet();
            Issued t = new Issued(mode + "-" + ids.incrementAndGet(), token, claims.getJWTID(),
                    jwt.getHeader().getKeyID(), claims.getExpirationTime().toInstant(), Instant.now(), r.name,
                    claims.getStringClaim("task"), kind, parent);
            issued.put(t.id, t);
            recent.add(t.id);
            if (recent.size() > 200) {
                recent.removeFirst();
            }
            count("tokens issued");
            count("tokens issued: " + kind);
            handToVerifier(t);
            return t;
        }

        /** A token's jti, or its task (a fresh generation of tasks is used after). */
        void revokeSome(Replica r, Random rnd) throws Exception {
            Issued t;
            synchronized (recent) {
                if (recent.isEmpty()) {
                    return;
                }
                t = issued.get(recent.get(rnd.nextInt(recent.size())));
            }
            boolean task = rnd.nextInt(4) == 0 && t.task != null;
            Instant at = Instant.now();
            String body = task ? "{\"task\":\"" + t.task + "\",\"reason\":\"soak\"}" : "{\"jti\":\"" + t.jti + "\",\"reason\":\"soak\"}";
            if (task) {
                revokedTasks.putIfAbsent(t.task, at); // before the call: a check right after it may already see it
                taskGeneration.incrementAndGet();
            } else {
                revokedJtis.putIfAbsent(t.jti, at);
            }
            Map<String, Instant> marks = task ? revokedTasks : revokedJtis;
            String key = task ? t.task : t.jti;
            HttpResponse<String> res;
            try {
                res = post(r.admin() + "/v1/revocations", "Bearer " + ADMIN, "application/json", body);
            } catch (IOException e) {
                // Refused: never made; timed out: made or not. Either way the token is judged on neither count.
                marks.remove(key, at);
                uncertain.add(key);
                refused("revoke " + e.getClass().getSimpleName());
                return;
            }
            if (res.statusCode() == 201) {
                count(task ? "revocations: task" : "revocations: jti");
            } else {
                refusedAnswer(res, "revoke");
                marks.remove(key, at);
                // 404: no replica reported the jti in time, and the rule stays in force (its issuer may be down and
                // apply it on return); 5xx: the rule may be committed before what failed. Judged on neither count.
                if (res.statusCode() == 404 || res.statusCode() >= 500) {
                    uncertain.add(key);
                }
            }
        }

        // ------------------------------------------------------------ observer

        /** Each replica's view of the keys every second, and (delegated) each replica's subkeys in PostgreSQL. */
        void observeLoop() {
            while (!stop) {
                for (Replica r : replicas) {
                    if (!r.up()) {
                        continue;
                    }
                    try {
                        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(r.admin() + "/v1/keys"))
                                .header("Authorization", "Bearer " + ADMIN).timeout(Duration.ofSeconds(3)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        check5xx(res, "GET /v1/keys at " + r.name);
                        if (res.statusCode() != 200) {
                            continue;
                        }
                        Map<String, Object> body = JSONObjectUtils.parse(res.body());
                        int active = 0;
                        List<String> actives = new ArrayList<>();
                        for (Map<String, Object> k : JSONObjectUtils.getJSONObjectArray(body, "keys")) {
                            String kid = (String) k.get("kid");
                            if ("ACTIVE".equals(k.get("state"))) {
                                active++;
                                actives.add(kid);
                            }
                            if (k.get("unpublishes") instanceof String u) {
                                unpublishes.put(kid, Instant.parse(u));
                            }
                        }
                        if (active > 1) {
                            violation("two ACTIVE master keys", r.name + " sees " + actives);
                        }
                        Map<String, Object> store = JSONObjectUtils.getJSONObject(body, "store");
                        if (store != null && store.get("lease_holder") instanceof String holder) {
                            leaseHolder = holder;
                        }
                    } catch (IOException e) {
                        // stopped or restarting
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        violation("soak error", "observer: " + e);
                    }
                }
                if (mode.equals("delegated") && pg.running()) {
                    observeSubkeys();
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void observeSubkeys() {
            try (Connection c = DriverManager.getConnection(dbUrl, pg.properties());
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT replica_id, body FROM signet.subkeys")) {
                Instant now = Instant.now();
                while (rs.next()) {
                    SubkeySet set = SubkeySet.decode(rs.getString(2));
                    List<String> active = new ArrayList<>();
                    for (SubkeyRecord k : set.subkeys()) {
                        masterOf.put(k.kid(), k.masterKid());
                        if (k.stateAt(now) == KeyState.ACTIVE) {
                            active.add(k.kid());
                        }
                    }
                    if (active.size() > 1) {
                        violation("two signing subkeys on one replica", rs.getString(1) + ": " + active);
                    }
                }
            } catch (java.sql.SQLException e) {
                // PostgreSQL restarting
            }
        }

        // ------------------------------------------------------------ faults

        void faultLoop() {
            List<Fault> cycle = new ArrayList<>();
            while (true) {
                long gap = 6_000 + random.nextInt(10_000);
                if (Instant.now().plusMillis(gap + 10_000).isAfter(end)) {
                    return; // no fault that could outlast the phase
                }
                try {
                    Thread.sleep(gap);
                    if (cycle.isEmpty()) {
                        cycle.addAll(faults);
                        Collections.shuffle(cycle, random);
                    }
                    inject(cycle.removeFirst());
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    violation("soak error", "fault: " + e);
                }
            }
        }

        Replica victim() {
            for (Replica r : replicas) {
                if (r.name.equals(leaseHolder) && r.up()) {
                    return r;
                }
            }
            List<Replica> up = replicas.stream().filter(Replica::up).toList();
            return up.isEmpty() ? replicas.getFirst() : up.get(random.nextInt(up.size()));
        }

        void inject(Fault kind) throws Exception {
            Instant start = Instant.now();
            switch (kind) {
                case KILL -> {
                    Replica r = victim();
                    boolean holder = r.name.equals(leaseHolder);
                    begin(kind, "kill -9 " + r.name + (holder ? " (lease holder)" : ""));
                    Instant[] outage = outage(r);
                    r.kill();
                    Instant restart = Instant.now();
                    r.start();
                    outage[1] = Instant.now();
                    finish(kind, start, restart, List.of(r));
                }
                case STOP -> {
                    Replica r = victim();
                    Duration pause = LEASE_TTL.plusSeconds(3 + random.nextInt(5));
                    begin(kind, "SIGSTOP " + r.name + (r.name.equals(leaseHolder) ? " (lease holder)" : "")
                            + " for " + pause.toSeconds() + " s (lease " + LEASE_TTL.toSeconds() + " s)");
                    Instant[] outage = outage(r);
                    r.stopped = true;
                    r.signal("STOP");
                    Thread.sleep(pause.toMillis());
                    r.signal("CONT");
                    r.stopped = false;
                    outage[1] = Instant.now();
                    finish(kind, start, Instant.now(), List.of(r));
                }
                case BACKEND -> {
                    Duration outage = Duration.ofSeconds(5 + random.nextInt(10));
                    begin(kind, "KMS unreachable for " + outage.toSeconds() + " s");
                    stopBackendProxy();
                    Thread.sleep(outage.toMillis());
                    startBackendProxy();
                    finish(kind, start, Instant.now(), replicas);
                }
                case POSTGRES -> {
                    Duration outage = Duration.ofSeconds(2 + random.nextInt(8));
                    begin(kind, "PostgreSQL stopped (immediate) for " + outage.toSeconds() + " s");
                    pg.stop();
                    Thread.sleep(outage.toMillis());
                    pg.start();
                    finish(kind, start, Instant.now(), replicas);
                }
                case VERB -> operatorVerb();
            }
        }

        Instant[] outage(Replica r) {
            Instant[] o = {Instant.now(), null};
            outages.computeIfAbsent(r.name, k -> new CopyOnWriteArrayList<>()).add(o);
            return o;
        }

        /**
         * When a verifier must refuse a token revoked at {@code revoked}: 5 s + ttl + slack, unless the replica that
         * issued it was down then (or went down before applying the rule): then from when it came back, or from its
         * adoption ({@link #ADOPT_AFTER} after it went down), whichever came first.
         */
        Instant mustRefuseBy(Issued t, Instant revoked) {
            Instant reached = revoked;
            for (Instant[] o : outages.getOrDefault(t.replica, List.of())) {
                Instant from = o[0];
                Instant back = o[1];
                if (from.isBefore(revoked.plusSeconds(5)) && (back == null || back.isAfter(revoked))) {
                    Instant adopted = from.plus(ADOPT_AFTER);
                    Instant r = back == null || adopted.isBefore(back) ? adopted : back;
                    reached = r.isAfter(reached) ? r : reached;
                }
            }
            return reached.plus(REVOCATION_BOUND);
        }

        void begin(Fault kind, String what) {
            currentFault.set(kind.name().toLowerCase(Locale.ROOT));
            note("fault " + what);
            faultLog.add(String.format("%s +%5ds %-9s %-8s %s", Instant.now().truncatedTo(ChronoUnit.SECONDS),
                    Duration.between(started, Instant.now()).toSeconds(), mode, kind, what));
        }

        /** Recovery: from the fault's end until every affected replica has minted a token again. */
        void finish(Fault kind, Instant start, Instant ended, List<Replica> affected) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            for (Replica r : affected) {
                while (true) {
                    try {
                        HttpResponse<String> res = post(r.base() + "/v1/tokens", "Bearer " + MINTER, "application/json",
                                JSONObjectUtils.toJSONString(request("agent", random, null)));
                        if (res.statusCode() == 201) {
                            issuedFrom(r, (String) JSONObjectUtils.parse(res.body()).get("token"), "probe", null);
                            break;
                        }
                    } catch (IOException e) {
                        // not yet
                    }
                    if (System.nanoTime() > deadline) {
                        violation("fault not recovered within 180 s", kind + " on " + r.name);
                        break;
                    }
                    Thread.sleep(250);
                }
            }
            long ms = Duration.between(ended, Instant.now()).toMillis();
            recoveries.computeIfAbsent(kind.name().toLowerCase(Locale.ROOT), k -> new CopyOnWriteArrayList<>()).add(ms);
            note("fault " + kind + " over after " + Duration.between(start, ended).toMillis() + " ms; recovered "
                    + ms + " ms later");
            currentFault.set("none");
        }

        void operatorVerb() throws Exception {
            List<Replica> up = replicas.stream().filter(Replica::up).toList();
            if (up.isEmpty()) {
                return;
            }
            Replica r = up.get(random.nextInt(up.size()));
            HttpResponse<String> keys = http.send(HttpRequest.newBuilder(URI.create(r.admin() + "/v1/keys"))
                    .header("Authorization", "Bearer " + ADMIN).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (keys.statusCode() != 200) {
                return;
            }
            String active = null;
            String prepared = null;
            List<String> retired = new ArrayList<>();
            for (Map<String, Object> k : JSONObjectUtils.getJSONObjectArray(JSONObjectUtils.parse(keys.body()), "keys")) {
                switch (String.valueOf(k.get("state"))) {
                    case "ACTIVE" -> active = (String) k.get("kid");
                    case "PREPARED" -> prepared = (String) k.get("kid");
                    case "RETIRED" -> retired.add((String) k.get("kid"));
                    default -> { }
                }
            }
            int dice = random.nextInt(100);
            String verb;
            String kid = null;
            boolean forces = false;
            if (dice < 20) {
                verb = "prepare";
            } else if (dice < 40) {
                verb = "rotate";
            } else if (dice < 60 && prepared != null) {
                verb = "activate";
                kid = prepared;
                forces = true;
            } else if (dice < 70 && active != null) {
                verb = "retire";
                kid = active;
            } else if (dice < 85 && !retired.isEmpty()) {
                verb = "revoke";
                kid = retired.get(random.nextInt(retired.size()));
            } else if (active != null) {
                verb = "revoke";
                kid = active;
                forces = true;
            } else {
                verb = "prepare";
            }
            String path = kid == null ? "/v1/keys/" + verb : "/v1/keys/" + kid + "/" + verb;
            Instant at = Instant.now();
            begin(Fault.VERB, "keys " + verb + (kid == null ? "" : " " + kid) + " at " + r.name);
            if (forces) {
                windows.add(at);
            }
            if (verb.equals("revoke")) {
                revokedKids.put(kid, at);
            }
            HttpResponse<String> res;
            try {
                res = post(r.admin() + path, "Bearer " + ADMIN, "application/json", "", Duration.ofSeconds(30));
            } catch (IOException e) { // outcome unknown: a revoke stays counted as done
                refused("keys " + verb + " " + e.getClass().getSimpleName());
                currentFault.set("none");
                return;
            }
            count("operator verbs: " + verb + " " + res.statusCode());
            if (verb.equals("revoke") && res.statusCode() < 300) {
                kidRevokeAnswered.put(kid, Instant.now());
            }
            if (res.statusCode() >= 400) {
                note("  " + verb + " refused " + res.statusCode() + ": " + res.body());
                if (verb.equals("revoke")) {
                    revokedKids.remove(kid, at);
                }
            }
            currentFault.set("none");
        }

        // ------------------------------------------------------------ HTTP

        HttpResponse<String> post(String url, String authorization, String type, String body) throws Exception {
            return post(url, authorization, type, body, Duration.ofSeconds(10));
        }

        HttpResponse<String> post(String url, String authorization, String type, String body, Duration timeout)
                throws Exception {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", authorization).header("Content-Type", type)
                    .timeout(timeout)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            check5xx(res, "POST " + url);
            return res;
        }

        void refusedAnswer(HttpResponse<String> res, String what) {
            refused(what + " " + res.statusCode());
        }
    }

    /** A token the soak holds and hands to the verifier. */
    static final class Issued {
        final String id;
        final String token;
        final String jti;
        final String kid;
        final Instant exp;
        final Instant minted;
        final String replica;
        final String task;
        final String kind;
        final Issued parent;
        volatile boolean checked;

        Issued(String id, String token, String jti, String kid, Instant exp, Instant minted, String replica,
               String task, String kind, Issued parent) {
            this.id = id;
            this.token = token;
            this.jti = jti;
            this.kid = kid;
            this.exp = exp;
            this.minted = minted;
            this.replica = replica;
            this.task = task;
            this.kind = kind;
            this.parent = parent;
        }

        @Override
        public String toString() {
            return kind + " token " + id + " (jti " + jti + ", kid " + kid + ", from " + replica + ", minted " + minted
                    + ", exp " + exp + ")";
        }
    }

    // ---------------------------------------------------------------- the backend

    void startMoto() throws Exception {
        motoPort = DevModeProcessTest.freePort();
        moto = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(motoPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("moto.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + motoPort + "/moto-api/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("moto_server did not start: see " + dir.resolve("moto.log"));
                }
                Thread.sleep(100);
            }
        }
        backendPort = DevModeProcessTest.freePort();
        startBackendProxy();
    }

    /**
     * KMS as the replicas reach it: a proxy to moto_server, stopped for an outage (connections refused) and started
     * again on the same port. Stopping moto itself would lose its keys: it keeps them only in memory.
     */
    synchronized void startBackendProxy() throws Exception {
        backendProxy = KmsProxy.start(motoPort, backendPort);
    }

    synchronized void stopBackendProxy() {
        KmsProxy proxy = backendProxy;
        backendProxy = null;
        if (proxy != null) {
            proxy.close();
        }
    }

    // ---------------------------------------------------------------- counting and the summary

    static ECKey ecKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    void count(String name) {
        counts.computeIfAbsent(name, n -> new AtomicLong()).incrementAndGet();
    }

    void refused(String what) {
        count("refused [" + currentFault.get() + "] " + what);
    }

    void check5xx(HttpResponse<String> res, String what) {
        if (res.statusCode() >= 500 && !(res.statusCode() == 503 && res.headers().firstValue("Retry-After").isPresent())) {
            violation("5xx other than 503 with Retry-After", what + ": " + res.statusCode() + " " + res.body());
        }
    }

    void violation(String kind, String detail) {
        count("!" + kind);
        if (violations.size() < 200) {
            violations.add(kind + ": " + detail);
        }
        note("VIOLATION " + kind + ": " + detail);
    }

    synchronized void note(String line) {
        log.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + line);
    }

    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static final List<String> MUST_BE_ZERO = List.of(
            "failed to verify while unexpired and unrevoked",
            "unknown kid at a verifier honouring max-age",
            "two ACTIVE master keys",
            "two signing subkeys on one replica",
            "token exp beyond its key's publication",
            "token signed by a revoked key after max-age",
            "5xx other than 503 with Retry-After",
            "revoked token accepted",
            "fault not recovered within 180 s",
            "tokens the verifier never checked",
            "verifier",
            "soak error");

    List<String> summary() throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("== chaos soak summary: ").append(length.toSeconds()).append(" s (direct, then delegated), load ")
                .append(load()).append(", ").append(dir).append('\n');
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.get()));
        sorted.forEach((k, v) -> {
            if (!k.startsWith("!")) {
                s.append(String.format("  %-78s %8d%n", k, v));
            }
        });
        s.append("  recovery after each fault (ms, from its end until every affected replica mints again):\n");
        new TreeMap<>(recoveries).forEach((k, v) -> s.append(String.format("    %-10s n=%-3d max %6d  all %s%n", k,
                v.size(), v.stream().mapToLong(Long::longValue).max().orElse(0), v)));
        s.append("  faults injected:\n");
        faultLog.forEach(f -> s.append("    ").append(f).append('\n'));
        s.append("  MUST BE ZERO:\n");
        List<String> failed = new ArrayList<>();
        for (String k : MUST_BE_ZERO) {
            long n = sorted.getOrDefault("!" + k, 0L);
            s.append(String.format("    %-76s %8d%s%n", k, n, n == 0 ? "" : "   <-- FAIL"));
            if (n != 0) {
                failed.add(k + " = " + n);
            }
        }
        if (!violations.isEmpty()) {
            s.append("  first violations:\n");
            violations.stream().limit(20).forEach(v -> s.append("    ").append(v).append('\n'));
        }
        s.append(failed.isEmpty() ? "== PASS\n" : "== FAIL: " + failed + "\n");
        log.print(s);
        Files.writeString(dir.resolve("summary.txt"), s);
        return failed;
    }
}
