package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.issuance.CredentialHash;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release as a user installs it: the tarball the build made, unpacked into an empty folder outside the checkout,
 * run with only a JDK (no Maven on PATH), from another working directory. Runs after {@code package}
 * (ops/pom.xml binds it to integration-test).
 */
class ReleaseInstallTest {

    static final String MINTER = "release-minter-credential-0123456789";
    static final String ADMIN = "release-admin-credential-0123456789";

    @TempDir
    static Path base;
    static Path install;
    static Path noMaven;

    @BeforeAll
    static void unpack() throws Exception {
        // Set only by the integration-test execution (a -Dtest filter also runs this class at test, before package).
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("signet.tarball") != null,
                "runs at integration-test, after package has made the tarball");
        Path tarball = Path.of(System.getProperty("signet.tarball"));
        assertTrue(Files.isRegularFile(tarball), "the build makes " + tarball + " (run after package)");
        Path into = Files.createDirectories(base.resolve("opt"));
        Process tar = new ProcessBuilder("tar", "xzf", tarball.toAbsolutePath().toString(), "-C", into.toString())
                .inheritIO().start();
        assertEquals(0, tar.waitFor());
        install = into.resolve("signet-" + System.getProperty("signet.version"));
        assertTrue(Files.isExecutable(install.resolve("bin/signet")), "bin/signet in " + install);
        // A Maven that records being called: the release must never call one.
        noMaven = Files.createDirectories(base.resolve("fake-bin"));
        for (String name : List.of("mvn", "mvnw")) {
            Path fake = noMaven.resolve(name);
            Files.writeString(fake, "#!/bin/sh\ntouch " + base.resolve("maven-was-called") + "\nexit 1\n");
            fake.toFile().setExecutable(true);
        }
    }

    /**
     * A signed jar's classes are hashed at every load and never go into the start-up cache, so the release
     * carries BouncyCastle without its signatures (ops/pom.xml); the multi-release layout must survive.
     */
    @Test
    void bouncyCastleShipsUnsignedAndMultiRelease() throws Exception {
        List<Path> bc;
        try (Stream<Path> jars = Files.list(install.resolve("lib"))) {
            bc = jars.filter(p -> p.getFileName().toString().startsWith("bc")).sorted().toList();
        }
        assertEquals(List.of("bcpkix", "bcprov", "bcutil"),
                bc.stream().map(p -> p.getFileName().toString().replaceFirst("-jdk18on-.*", "")).toList());
        for (Path jar : bc) {
            try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
                List<String> signatures = file.stream().map(java.util.zip.ZipEntry::getName)
                        .filter(n -> n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)")).toList();
                assertEquals(List.of(), signatures, jar + " is unsigned");
                assertTrue(file.getManifest().getEntries().isEmpty(), jar + ": no per-entry digests left");
                assertTrue(file.isMultiRelease(), jar + " stays multi-release");
                assertTrue(file.getEntry("org/bouncycastle/util/Arrays.class") != null
                        || !jar.getFileName().toString().startsWith("bcprov"), jar + " keeps its classes");
            }
        }
    }

    @Test
    void everyVerbRunsWithOnlyAJdkAndNothingIsWrittenIntoTheInstallFolder() throws Exception {
        Map<Path, String> before = snapshot(install);
        Path work = Files.createDirectories(base.resolve("work"));

        assertEquals("signet " + System.getProperty("signet.version"), run(work, null, "--version").strip());
        String created = run(work, null, "new-credential");
        assertTrue(created.matches("(?s)credential: sgt_\\S+\nhash: +sha256:[0-9a-f]{64}\n"), created);
        assertEquals(CredentialHash.of("s3cret").text(), run(work, "s3cret\n", "hash-credential").strip());

        int port = DevModeProcessTest.freePort();
        int adminPort = DevModeProcessTest.freePort();
        Started dev = start(work, "dev minter credential", "dev", "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
        try (HttpClient http = HttpClient.newHttpClient()) {
            String issuer = "http://127.0.0.1:" + port;
            HttpResponse<String> minted = DevModeProcessTest.mint(http, issuer);
            assertEquals(201, minted.statusCode(), minted.body());
            SignedJWT token = SignedJWT.parse((String) JSONObjectUtils.parse(minted.body()).get("token"));
            JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(issuer + "/.well-known/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(JwsVerification.verifies(token.serialize(), jwks.getKeyByKeyId(token.getHeader().getKeyID())));
            assertEquals("agent-7", token.getJWTClaimsSet().getSubject());
            Map<String, Object> verified = JSONObjectUtils.parse(run(work, null, "verify", "--issuer",
                    token.getJWTClaimsSet().getIssuer(), "--audience", "https://api.example.com", "--resource",
                    "repo:acme/widgets", "--action", "read", token.serialize()));
            assertEquals("allow", verified.get("decision"), "signet verify from the release: " + verified);
            // and an offline chain under a bound token
            com.nimbusds.jose.jwk.ECKey holder = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).generate();
            Files.writeString(work.resolve("holder.jwk"), holder.toJSONString());
            Files.writeString(work.resolve("next.jwk"), new com.nimbusds.jose.jwk.gen.ECKeyGenerator(
                    com.nimbusds.jose.jwk.Curve.P_256).generate().toPublicJWK().toJSONString());
            HttpResponse<String> bound = http.send(HttpRequest.newBuilder(URI.create(issuer + "/v1/tokens"))
                    .header("Authorization", "Bearer " + DevModeProcessTest.MINTER).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
                            + "\"ttl\":600,\"cnf\":{\"jkt\":\"" + holder.computeThumbprint() + "\"},"
                            + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, bound.statusCode(), bound.body());
            Files.writeString(work.resolve("bound.jwt"), (String) JSONObjectUtils.parse(bound.body()).get("token"));
            run(work, null, "attenuate", "--key", "holder.jwk", "--credential", "bound.jwt", "--actor-key", "next.jwk",
                    "--actor", "helper-1", "--out", "helper.chain");
            Map<String, Object> chain = JSONObjectUtils.parse(run(work, null, "verify", "--issuer",
                    token.getJWTClaimsSet().getIssuer(), "helper.chain"));
            assertEquals("valid", chain.get("decision"), "a chain from the release: " + chain);
            assertEquals(List.of("helper-1"), ((Map<?, ?>) chain.get("holder")).get("actors"));

            String admin = "http://127.0.0.1:" + adminPort;
            assertTrue(run(work, null, "keys", "list", "--admin", admin).contains(token.getHeader().getKeyID()));
            Map<String, Object> json = JSONObjectUtils.parse(run(work, null, "keys", "list", "--json", "--admin", admin));
            assertEquals(token.getHeader().getKeyID(), ((Map<?, ?>) ((List<?>) json.get("keys")).getFirst()).get("kid"));
        } finally {
            DevModeProcessTest.stop(dev.asStarted());
        }
        assertTrue(Files.isRegularFile(work.resolve(".signet/dev/dev-credentials"))
                || Files.isDirectory(work.resolve(".signet/dev/keys")), "dev keeps its data under ./.signet/dev");

        // serve, from a configuration file like an operator's
        Path config = work.resolve("signet.yaml");
        port = DevModeProcessTest.freePort();
        Files.writeString(config, """
                signet:
                  issuer: "http://127.0.0.1:%d"
                  port: %d
                  admin: {port: %d, credential-hash: "%s"}
                  data-dir: %s
                  backend: {type: software, password-env: SIGNET_KEYSTORE_PASSWORD}
                  minters:
                    - {name: m, credential-hash: "%s", audiences: ["*"], resources: ["**"], actions: ["*"]}
                """.formatted(port, port, DevModeProcessTest.freePort(), CredentialHash.of(ADMIN).text(),
                work.resolve("served"), CredentialHash.of(DevModeProcessTest.MINTER).text()));
        Started serve = start(work, "signet: backend", "serve", "--config", config.toString());
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertEquals(201, DevModeProcessTest.mint(http, "http://127.0.0.1:" + port).statusCode());
        } finally {
            DevModeProcessTest.stop(serve.asStarted());
        }

        assertEquals(before, snapshot(install), "nothing in the install folder changed");
        assertFalse(Files.exists(base.resolve("maven-was-called")), "the release never runs Maven");
    }

    @Test
    void theStartUpCacheIsMadeOnceInTheUsersCacheDirectory() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25");
        Map<Path, String> before = snapshot(install);
        Path home = Files.createDirectories(base.resolve("home"));
        Map<String, String> env = Map.of("HOME", home.toString(), "SIGNET_AOT", "on");
        String first = run(base, null, env, "new-credential");
        assertTrue(first.contains("making the start-up cache"), first);
        List<String> caches;
        try (Stream<Path> files = Files.list(home.resolve(".cache/signet/aot"))) {
            caches = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".aot")).sorted().toList();
        }
        assertEquals(2, caches.size(), caches.toString());
        assertTrue(caches.get(0).endsWith("-cli.aot") && caches.get(1).endsWith("-daemon.aot"), caches.toString());
        String second = run(base, null, env, "new-credential");
        assertFalse(second.contains("start-up cache"), second);
        assertTrue(second.startsWith("credential: "), second);
        assertEquals(before, snapshot(install), "the cache is not in the install folder");
    }

    /**
     * The cache's key is read, not computed from every jar: the release's BUILD-ID, where it is, the JDK's path and
     * release file. A release unpacked over another, or a JDK updated in place or moved, still gets a cache of its
     * own. A stand-in JDK whose java only writes the two cache files keeps this fast; the real one makes real caches
     * in {@link #theStartUpCacheIsMadeOnceInTheUsersCacheDirectory}.
     */
    @Test
    void aChangedReleaseOrJdkGetsACacheOfItsOwn() throws Exception {
        assertTrue(Files.readString(install.resolve("BUILD-ID")).strip().matches(
                java.util.regex.Pattern.quote(System.getProperty("signet.version")) + "-\\d{8}T\\d{6}\\.\\d{3}Z"),
                "the build writes BUILD-ID");
        Path root = Files.createDirectories(base.resolve("keys"));
        Path release = Files.createDirectories(root.resolve("release/bin"));
        Files.copy(install.resolve("bin/signet"), release.resolve("signet"));
        Path home = release.getParent();
        Files.createSymbolicLink(home.resolve("lib"), install.resolve("lib"));
        Files.createSymbolicLink(home.resolve("config"), install.resolve("config"));
        Files.writeString(home.resolve("BUILD-ID"), "build-one\n");
        Path jdk = fakeJdk(root.resolve("jdk"), "25.0.9+1");
        Path cacheDir = root.resolve("cache");

        List<String> first = cacheFor(home, jdk, cacheDir);
        assertTrue(first.getFirst().contains("making the start-up cache"), first.toString());
        String made = first.get(1);
        assertTrue(made.endsWith("-daemon.aot") && Files.isRegularFile(Path.of(made)), first.toString());
        assertEquals(List.of(made, first.get(2)), cacheFor(home, jdk, cacheDir), "the same release and JDK: the same cache");

        Files.writeString(home.resolve("BUILD-ID"), "build-two\n");        // another release unpacked over this one
        String otherBuild = made(cacheFor(home, jdk, cacheDir));
        Files.writeString(jdk.resolve("release"), Files.readString(jdk.resolve("release")).replace("25.0.9+1", "25.0.10+2"));
        String updatedJdk = made(cacheFor(home, jdk, cacheDir));           // the JDK updated in place
        Path moved = fakeJdk(root.resolve("jdk-elsewhere"), "25.0.10+2");
        String movedJdk = made(cacheFor(home, moved, cacheDir));
        // Without JAVA_HOME, java on PATH (found by the shell, no process) is the same JDK: the same cache.
        assertEquals(movedJdk, cacheFor(home, null, cacheDir, moved.resolve("bin") + ":" + noMaven + ":/usr/bin:/bin").getFirst());
        assertEquals(4, java.util.Set.of(made, otherBuild, updatedJdk, movedJdk).size(),
                List.of(made, otherBuild, updatedJdk, movedJdk).toString());

        // Without a BUILD-ID (a release not made by this build) the key falls back to the jars' sizes and times.
        Files.delete(home.resolve("BUILD-ID"));
        Files.delete(home.resolve("lib"));
        Path lib = Files.createDirectories(home.resolve("lib"));
        try (Stream<Path> jars = Files.list(install.resolve("lib"))) {
            for (Path jar : jars.toList()) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
            }
        }
        Files.writeString(lib.resolve("zz-extra.jar"), "one");
        String noId = made(cacheFor(home, jdk, cacheDir));
        assertEquals(List.of(noId), cacheFor(home, jdk, cacheDir).subList(0, 1), "stable without a BUILD-ID");
        Files.writeString(lib.resolve("zz-extra.jar"), "another");
        String changedJar = made(cacheFor(home, jdk, cacheDir));
        assertFalse(noId.equals(changedJar) || noId.equals(updatedJdk), noId + " " + changedJar);
    }

    /**
     * The daemon runs without the start-up cache's training profiles replayed on JDK 25+ (measured: BENCHMARKS.md,
     * start-up, sixth round); the CLI keeps its options, and a JDK before 25, which does not know the flag and would
     * refuse to start, gets none of it.
     */
    @Test
    void theDaemonSkipsTheTrainingReplayOnlyOnAJdkThatHasItAndDevCompilesLater() throws Exception {
        Path root = Files.createDirectories(base.resolve("replay"));
        for (String version : List.of("25.0.9", "21.0.5")) {
            Path jdk = Files.createDirectories(root.resolve("jdk-" + version).resolve("bin"));
            Files.writeString(jdk.resolveSibling("release"), "JAVA_VERSION=\"" + version + "\"\n");
            Path java = jdk.resolve("java");
            Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\" >\"$(dirname \"$0\")/../args-$SIGNET_TEST_VERB\"\n");
            assertTrue(java.toFile().setExecutable(true));
            for (String verb : List.of("dev", "serve", "keys")) {
                Process p = command(base, Map.of("JAVA_HOME", jdk.getParent().toString(), "SIGNET_AOT", "off",
                        "SIGNET_TEST_VERB", verb), verb, "list").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), out);
            }
            List<String> dev = Files.readAllLines(jdk.resolveSibling("args-dev"));
            List<String> cli = Files.readAllLines(jdk.resolveSibling("args-keys"));
            assertEquals("dev", dev.get(dev.indexOf(Signet.class.getName()) + 1), dev.toString());
            assertEquals(version.startsWith("25"), dev.contains("-XX:-AOTReplayTraining"), version + ": " + dev);
            assertEquals(version.startsWith("25"), dev.contains("-XX:+UnlockDiagnosticVMOptions"), version + ": " + dev);
            assertFalse(cli.contains("-XX:-AOTReplayTraining"), version + ": " + cli);
            assertTrue(cli.contains("-XX:TieredStopAtLevel=1"), version + ": " + cli);
            // dev compiles start-up's few-times code later; serve keeps the JIT's defaults for its first seconds
            List<String> serve = Files.readAllLines(jdk.resolveSibling("args-serve"));
            assertEquals("serve", serve.get(serve.indexOf(Signet.class.getName()) + 1), serve.toString());
            assertEquals(version.startsWith("25"), serve.contains("-XX:-AOTReplayTraining"), version + ": " + serve);
            assertTrue(dev.contains("-XX:Tier4InvocationThreshold=15000"), version + ": " + dev);
            assertTrue(dev.contains("-XX:Tier3InvocationThreshold=2000"), version + ": " + dev);
            assertFalse(serve.stream().anyMatch(a -> a.startsWith("-XX:Tier")), version + ": " + serve);
            assertFalse(cli.stream().anyMatch(a -> a.startsWith("-XX:Tier3")), version + ": " + cli);
        }
    }

    /** A JDK {@code bin/signet} accepts (release file, bin/java) whose java only writes the cache files it is asked for. */
    private static Path fakeJdk(Path dir, String runtimeVersion) throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve("release"), """
                IMPLEMENTOR="Signet test"
                JAVA_RUNTIME_VERSION="%s"
                JAVA_VERSION="25.0.9"
                MODULES="java.base"
                """.formatted(runtimeVersion));
        Path java = dir.resolve("bin/java");
        Files.writeString(java, """
                #!/bin/sh
                for a; do case "$a" in -XX:AOTCacheOutput=*) printf x >"${a#*=}" ;; *-cli.*.tmp) printf x >"$a" ;; esac; done
                """);
        assertTrue(java.toFile().setExecutable(true));
        return dir;
    }

    /** {@code bin/signet cache} of the release at {@code home} on {@code jdk}: its output lines. */
    private static List<String> cacheFor(Path home, Path jdk, Path cacheDir) throws Exception {
        return cacheFor(home, jdk, cacheDir, noMaven + ":/usr/bin:/bin");
    }

    /** The same with this {@code PATH}, and without {@code JAVA_HOME} if {@code jdk} is null. */
    private static List<String> cacheFor(Path home, Path jdk, Path cacheDir, String path) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/signet").toString(), "cache").redirectErrorStream(true);
        pb.environment().put("PATH", path);
        if (jdk == null) {
            pb.environment().remove("JAVA_HOME");
        } else {
            pb.environment().put("JAVA_HOME", jdk.toString());
        }
        pb.environment().put("SIGNET_CACHE_DIR", cacheDir.toString());
        pb.environment().remove("SIGNET_JAVA_OPTS");
        pb.environment().remove("SIGNET_AOT");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    /** The daemon cache a first {@code cache} call made (it says so, then prints the two paths). */
    private static String made(List<String> lines) {
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.getFirst().contains("making the start-up cache"), "a new cache: " + lines);
        assertTrue(Files.isRegularFile(Path.of(lines.get(1))), lines.toString());
        return lines.get(1);
    }

    @Test
    void theSystemdUnitPassesSystemdAnalyzeVerify() throws Exception {
        String unit = Files.readString(install.resolve("signet.service"));
        for (String line : List.of("User=signet", "StateDirectory=signet", "StateDirectoryMode=0700", "NoNewPrivileges=yes",
                "ProtectSystem=strict", "PrivateTmp=yes", "ExecStart=/opt/signet/bin/signet serve --config /etc/signet/signet.yaml")) {
            assertTrue(unit.lines().anyMatch(line::equals), "signet.service has " + line);
        }
        String dockerfile = Files.readString(install.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("ADD signet-" + System.getProperty("signet.version") + ".tar.gz /opt/")
                && dockerfile.lines().anyMatch(l -> l.equals("USER signet")), dockerfile);

        boolean analyze = Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "systemd-analyze")));
        RealBackends.require(analyze, "systemd-analyze", "apt-get install systemd (it runs offline; systemd need not be PID 1)");
        // verify checks that ExecStart exists: point it at this unpacked release.
        Path copy = Files.createDirectories(base.resolve("unit")).resolve("signet.service");
        Files.writeString(copy, unit.replace("/opt/signet/bin/signet", install.resolve("bin/signet").toString()));
        Process p = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals("", out.strip(), "no warnings from systemd-analyze verify");
    }

    private static String run(Path dir, String stdin, String... args) throws Exception {
        return run(dir, stdin, Map.of("SIGNET_AOT", "off"), args);
    }

    private static String run(Path dir, String stdin, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = command(dir, env, args).redirectErrorStream(true);
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", args) + ": " + out);
        return out;
    }

    private static ProcessBuilder command(Path dir, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(install.resolve("bin/signet").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().put("PATH", noMaven + ":/usr/bin:/bin");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("HOME", base.resolve("home").toString());
        pb.environment().put("SIGNET_DEV_MINTER_TOKEN", DevModeProcessTest.MINTER);
        pb.environment().put("SIGNET_DEV_ADMIN_TOKEN", ADMIN);
        pb.environment().put("SIGNET_ADMIN_TOKEN", ADMIN);
        pb.environment().put("SIGNET_KEYSTORE_PASSWORD", "release-test-keystore-password");
        pb.environment().putAll(env);
        return pb;
    }

    record Started(Process process, List<String> lines, Thread reader) {
        DevModeProcessTest.Started asStarted() {
            return new DevModeProcessTest.Started(process, lines, reader);
        }
    }

    private static Started start(Path dir, String ready, String... args) throws Exception {
        Process p = command(dir, Map.of("SIGNET_AOT", "off"), args).redirectErrorStream(true).start();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>(); // read while the reader adds
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (lines.stream().noneMatch(l -> l.contains(ready)) && System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), "exited early: " + lines);
            Thread.sleep(50);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains(ready)), "never ready: " + lines);
        return new Started(p, lines, reader);
    }

    /** Every file and folder under {@code dir} with its size and modification time. */
    private static Map<Path, String> snapshot(Path dir) throws IOException {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                files.put(dir.relativize(p), Files.size(p) + " " + Files.getLastModifiedTime(p));
            }
        }
        return files;
    }
}
