package dev.signet.pkcs11;

import dev.signet.spi.SignetException;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A SoftHSM2 token for {@code signet dev --backend softhsm}: made once under {@code <data-dir>/softhsm/} and
 * reused afterwards. SoftHSM2 finds its configuration only through the {@code SOFTHSM2_CONF} environment
 * variable of the process that loads it, so the CLI must export {@link Setup#softhsm2Conf()} before starting the
 * daemon's JVM. Development only: SoftHSM2 keeps keys in files on this machine.
 */
public final class SoftHsmDevToken {

    /** The token label the dev token gets. */
    public static final String LABEL = "signet-dev";

    private static final List<Path> LIBRARIES = List.of(
            Path.of("/usr/lib/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib64/pkcs11/libsofthsm2.so"),
            Path.of("/usr/local/lib/softhsm/libsofthsm2.so"),
            Path.of("/opt/homebrew/lib/softhsm/libsofthsm2.so"));

    private final Function<String, String> env;

    /**
     * What the daemon needs: {@code backendValues} for {@code backend.*} ({@code type}, {@code library},
     * {@code token-label}, {@code pin-file}) and the file {@code SOFTHSM2_CONF} must name in its environment.
     */
    public record Setup(Map<String, String> backendValues, Path softhsm2Conf) {
    }

    /** @param env environment lookup ({@code System::getenv}); {@code PATH} is searched for {@code softhsm2-util} */
    public SoftHsmDevToken(Function<String, String> env) {
        this.env = env;
    }

    /**
     * Creates the dev token under {@code <dataDir>/softhsm/} unless it exists, and says how to use it.
     *
     * @throws SignetException INVALID_ARGUMENT if SoftHSM2 is not installed (saying how to install it), or the
     *                         directory cannot be written or the token not initialised; FAILED_PRECONDITION if the
     *                         directory or a file in it is open to group or others
     */
    public Setup ensure(Path dataDir) {
        Path util = findUtil(env).orElseThrow(() -> notInstalled("softhsm2-util is not on the PATH"));
        Path library = findLibrary().orElseThrow(() -> notInstalled("libsofthsm2.so was not found"));
        Path dir = dataDir.resolve("softhsm").toAbsolutePath();
        Path conf = dir.resolve("softhsm2.conf");
        Path tokens = dir.resolve("tokens");
        Path pinFile = dir.resolve("pin");
        try {
            StateFiles.createDirectories(tokens);
            StateFiles.requireOwnerOnly(dir, "SoftHSM2 dev token directory");
            if (!Files.exists(conf)) {
                StateFiles.writeString(conf, softhsmConf(tokens));
            }
            if (!Files.exists(pinFile)) {
                String pin = randomPin();
                // PIN file first: a token must never exist without it (a retry would make a second one).
                StateFiles.writeString(pinFile, pin + "\n");
                try {
                    // The PIN is passed on softhsm2-util's command line, briefly visible to local users: dev only.
                    init(util, conf, pin, randomPin());
                } catch (IOException | InterruptedException | RuntimeException e) {
                    Files.deleteIfExists(pinFile);
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "cannot set up the SoftHSM2 dev token in " + dir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "interrupted setting up the dev token");
        }
        return new Setup(Map.of("type", "pkcs11", "library", library.toString(), "token-label", LABEL,
                "pin-file", pinFile.toString()), conf);
    }

    /** A SoftHSM2 configuration keeping tokens in {@code tokens}. */
    static String softhsmConf(Path tokens) {
        return "# Written by Signet for development and tests.\n"
                + "directories.tokendir = " + tokens.toAbsolutePath() + "\n"
                + "objectstore.backend = file\n"
                + "log.level = ERROR\n"
                + "slots.removable = false\n";
    }

    static Optional<Path> findLibrary() {
        return LIBRARIES.stream().filter(Files::isReadable).findFirst();
    }

    static Optional<Path> findUtil(Function<String, String> env) {
        String path = env.apply("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, "softhsm2-util");
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    private static void init(Path util, Path conf, String pin, String soPin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(util.toString(), "--init-token", "--free", "--label", LABEL,
                "--pin", pin, "--so-pin", soPin).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("softhsm2-util --init-token failed: " + out.replace(pin, "***").replace(soPin, "***"));
        }
    }

    private static SignetException notInstalled(String what) {
        return new SignetException(SignetException.Code.INVALID_ARGUMENT,
                "SoftHSM2 is not installed (" + what + "); apt-get install softhsm2");
    }

    private static String randomPin() {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
