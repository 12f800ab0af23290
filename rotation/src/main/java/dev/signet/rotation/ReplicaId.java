package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which process this is among the replicas of a deployment ({@code signet.replica-id}): the holder named by
 * the writer's lease, and the name in logs, metrics and {@code signet keys list}. Unless configured, it is
 * generated once ({@code <host>-<8 hex>}) and kept in {@code <data-dir>/}{@value #FILE} (0600), so a
 * restarted process is the same replica. Processes that share one data directory must each configure their
 * own.
 */
public record ReplicaId(String value) {

    public static final String FILE = "replica-id";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    /** @throws SignetException INVALID_ARGUMENT unless 1–63 letters, digits, '.', '_' or '-' */
    public ReplicaId {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "signet.replica-id must be 1-63"
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit, not '" + value + "'");
        }
    }

    /**
     * The configured id if there is one, else the one kept in {@code dataDir}, else a new one, kept there.
     *
     * @throws SignetException INVALID_ARGUMENT for an invalid configured or kept id (the message names the
     *                         file to fix); UNAVAILABLE if the file cannot be read or written
     */
    public static ReplicaId resolve(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return new ReplicaId(configured.strip());
        }
        Path file = dataDir.resolve(FILE);
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                return kept(file);
            } catch (NoSuchFileException e) {
                create(file, generate());
            } catch (IOException e) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + file, e);
            }
        }
        throw new SignetException(SignetException.Code.UNAVAILABLE, file + " vanished while it was created");
    }

    private static ReplicaId kept(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        try {
            return new ReplicaId(text);
        } catch (SignetException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, file + ": " + e.getMessage()
                    + "; fix the file or delete it to generate a new id");
        }
    }

    /** Of two processes creating it at once, one id wins; resolve then reads that one. */
    private static void create(Path file, ReplicaId id) {
        try {
            StateFiles.create(file, (id.value() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + file, e);
        }
    }

    static ReplicaId generate() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "replica";
        }
        host = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-").replaceAll("^[^a-z0-9]+", "");
        if (host.indexOf('.') > 0) {
            host = host.substring(0, host.indexOf('.'));
        }
        if (host.isEmpty()) {
            host = "replica";
        }
        host = host.substring(0, Math.min(host.length(), 40));
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        return new ReplicaId(host + "-" + HexFormat.of().formatHex(random));
    }

    @Override
    public String toString() {
        return value;
    }
}
