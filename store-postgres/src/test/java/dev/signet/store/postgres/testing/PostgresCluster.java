package dev.signet.store.postgres.testing;

import dev.signet.spi.testing.RealBackends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: {@code initdb} in a temporary directory, {@code pg_ctl start} on a
 * free loopback port with password (SCRAM) authentication, stopped and deleted when the JVM exits (or on
 * {@link #close()}). PostgreSQL refuses to run as root, so as root the server runs as the {@code postgres}
 * user through {@code runuser}. Tests that find no PostgreSQL skip loudly, or fail in CI
 * ({@link RealBackends#require}).
 *
 * <pre>
 * PostgresCluster pg = PostgresCluster.shared();      // one per test JVM
 * String url = pg.newDatabase();                        // a fresh, empty database per test
 * try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password())) { ... }
 * pg.stop(); ... pg.start();                            // fault tests: the server goes away and comes back
 * </pre>
 */
public final class PostgresCluster implements AutoCloseable {

    public static final String USER = "signet";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresCluster shared;

    private final Path bin;
    private final Path dir;
    private final String password;
    private final int port;
    private final boolean asPostgresUser;
    private boolean running;

    private PostgresCluster(Path bin, Path dir, String password, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.dir = dir;
        this.password = password;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /**
     * The cluster shared by every test of this JVM, started on first use. Skips the calling test (fails it
     * in CI) when PostgreSQL is not installed.
     */
    public static synchronized PostgresCluster shared() {
        if (shared == null) {
            shared = startNew();
            PostgresCluster c = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "postgres-cluster-cleanup"));
        }
        if (!shared.running) {
            shared.start();
        }
        return shared;
    }

    /** A cluster of the caller's own (close it), for tests that must not disturb the shared one. */
    public static PostgresCluster startNew() {
        Path bin = findBinaries();
        RealBackends.require(bin != null, "PostgreSQL (initdb, pg_ctl)",
                "install the Debian package postgresql (apt-get install postgresql), or set SIGNET_PG_BIN"
                        + " to the directory holding initdb and pg_ctl");
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("signet-pg-");
            if (root) {
                UserPrincipal pgUser = dir.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName("postgres");
                Files.setOwner(dir, pgUser);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            byte[] raw = new byte[18];
            new SecureRandom().nextBytes(raw);
            String password = HexFormat.of().formatHex(raw);
            Path pwfile = dir.resolve("pwfile");
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            if (root) {
                Files.setOwner(pwfile, Files.getOwner(dir));
            }
            PostgresCluster c = new PostgresCluster(bin, dir, password, freePort(), root);
            c.run(List.of(bin.resolve("initdb").toString(), "-D", c.data().toString(), "-U", USER,
                    "--pwfile=" + pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C"));
            Files.delete(pwfile);
            c.start();
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up a PostgreSQL cluster", e);
        }
    }

    /** Starts the server (again), waiting until it accepts connections. */
    public synchronized void start() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", dir.resolve("log").toString(),
                "-w", "-t", "30", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1"
                        + " -c fsync=off -c max_connections=200", "start"));
        running = true;
    }

    /** Stops the server at once ({@code immediate}: connections drop as on a crash or partition). */
    public synchronized void stop() {
        if (running) {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "immediate", "-w", "stop"));
            running = false;
        }
    }

    public synchronized boolean running() {
        return running;
    }

    /** A new empty database on this server, as a JDBC URL. */
    public String newDatabase() {
        String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), properties());
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " on " + this, e);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    public Properties properties() {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        return p;
    }

    /** Stops the server and deletes its directory. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            System.err.println("cannot stop PostgreSQL in " + dir + ": " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e.getMessage());
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    private void run(List<String> command) {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in " + COMMAND_TIMEOUT);
            }
            if (p.exitValue() != 0) {
                String log = Files.exists(dir.resolve("log")) ? Files.readString(dir.resolve("log")) : "";
                throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "): "
                        + new String(out, StandardCharsets.UTF_8) + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code SIGNET_PG_BIN}, else the newest {@code /usr/lib/postgresql/N/bin} (Debian), else the PATH. */
    private static Path findBinaries() {
        String env = System.getenv("SIGNET_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Files.isExecutable(Path.of(env, "initdb")) ? Path.of(env) : null;
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                var newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(PostgresCluster::major));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                // fall through to the PATH
            }
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "initdb")) && Files.isExecutable(Path.of(d, "pg_ctl"))) {
                return Path.of(d);
            }
        }
        return null;
    }

    private static int major(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[127.0.0.1:" + port + ", " + dir + "]";
    }
}
