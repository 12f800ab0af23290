package dev.signet.pkcs11;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.testing.RealBackends;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * SoftHSM2 for tests. The library reads {@code SOFTHSM2_CONF} from this JVM's environment, which surefire
 * points at {@code target/softhsm/softhsm2.conf}; this class writes that file (and wipes the token directory)
 * before the first token is made, and passes the same variable to {@code softhsm2-util} explicitly.
 */
final class SoftHsm {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static boolean prepared;

    /** A token made for one test class. */
    record Token(String label, String pin, String soPin) {

        BackendSettings settings(Path dataDir) {
            return settings(dataDir, "https://issuer.test");
        }

        BackendSettings settings(Path dataDir, String issuer) {
            return new BackendSettings(Map.of("library", library().orElseThrow().toString(), "token-label", label,
                    "pin-env", "TEST_PIN", "retry-initial", "PT0.1S", "retry-max", "PT0.4S"),
                    dataDir, issuer, Clock.systemUTC(), Map.of("TEST_PIN", pin)::get);
        }
    }

    private SoftHsm() {
    }

    /** A backend on this token for the tests' issuer, retrying quickly after a fault. */
    static Pkcs11KeyBackend open(Token token, int signingThreads) {
        return new Pkcs11KeyBackend(library().orElseThrow().toString(), token.label(), token.pin().toCharArray(),
                "https://issuer.test", Clock.systemUTC(),
                new Pkcs11KeyBackend.Options(Duration.ofMillis(100), Duration.ofMillis(400), signingThreads));
    }

    static Optional<Path> library() {
        return SoftHsmDevToken.findLibrary();
    }

    /** Fails in CI, skips elsewhere, unless SoftHSM2 and its configuration variable are there. */
    static void require() {
        RealBackends.require(library().isPresent() && SoftHsmDevToken.findUtil(System::getenv).isPresent()
                        && System.getenv("SOFTHSM2_CONF") != null,
                "SoftHSM2 (libsofthsm2.so, softhsm2-util, pkcs11-tool and SOFTHSM2_CONF)",
                "apt-get install softhsm2 opensc, and run the tests through Maven, which sets SOFTHSM2_CONF");
    }

    static Path conf() {
        return Path.of(System.getenv("SOFTHSM2_CONF"));
    }

    static Path tokenDirectory() {
        return conf().resolveSibling("tokens");
    }

    static synchronized Token initToken(String prefix) throws IOException, InterruptedException {
        prepare();
        String label = prefix + "-" + hex(4);
        Token token = new Token(label, randomPin(), randomPin());
        initToken(token);
        return token;
    }

    /** Initialises a token with this label and PINs in a free slot. */
    static void initToken(Token token) throws IOException, InterruptedException {
        run("softhsm2-util", "--init-token", "--free", "--label", token.label(), "--pin", token.pin(),
                "--so-pin", token.soPin());
    }

    static void deleteToken(Token token) throws IOException, InterruptedException {
        run("softhsm2-util", "--delete-token", "--token", token.label());
    }

    /** The directory SoftHSM keeps this token's objects in. */
    static Path directoryOf(Token token) throws IOException {
        byte[] label = token.label().getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> dirs = Files.list(tokenDirectory())) {
            for (Path dir : dirs.toList()) {
                Path object = dir.resolve("token.object");
                if (Files.exists(object) && indexOf(Files.readAllBytes(object), label) >= 0) {
                    return dir;
                }
            }
        }
        throw new IllegalStateException("no token directory for " + token.label());
    }

    static String run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(command[0] + " failed: " + out);
        }
        return out;
    }

    private static void prepare() throws IOException {
        if (prepared) {
            return;
        }
        Path tokens = tokenDirectory();
        if (Files.exists(tokens)) {
            try (Stream<Path> all = Files.walk(tokens)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(tokens);
        Files.writeString(conf(), SoftHsmDevToken.softhsmConf(tokens));
        prepared = true;
    }

    private static String randomPin() {
        return hex(8);
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
