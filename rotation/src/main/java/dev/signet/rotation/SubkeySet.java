package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * One replica's subkey journal: a version (compare-and-set, like {@link KeySet}) and its subkeys. Only the
 * replica it belongs to writes it ({@link LifecycleStore#compareAndSetSubkeys}); every replica reads all of
 * them and publishes every live subkey.
 */
public record SubkeySet(long version, List<SubkeyRecord> subkeys) {

    private static final String HEADER = "signet-subkeys 3";
    private static final String END = "end";

    /** @throws IllegalArgumentException for a negative version or a kid listed twice */
    public SubkeySet {
        if (version < 0) {
            throw new IllegalArgumentException("negative version");
        }
        subkeys = List.copyOf(subkeys);
        Set<String> kids = new HashSet<>();
        for (SubkeyRecord s : subkeys) {
            if (!kids.add(s.kid())) {
                throw new IllegalArgumentException("subkey " + s.kid() + " listed twice");
            }
        }
    }

    public static SubkeySet empty() {
        return new SubkeySet(0, List.of());
    }

    /** The next version holding {@code subkeys}. */
    public SubkeySet next(List<SubkeyRecord> subkeys) {
        return new SubkeySet(version + 1, subkeys);
    }

    /** Text for a store: a header, the version, one line per subkey, and an end line with count and SHA-256. */
    public String encode() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append("version ").append(version).append('\n');
        for (SubkeyRecord s : subkeys) {
            b.append(String.join(" ", s.kid(), s.algorithm().name(), s.state().name(), s.masterKid(),
                    s.prepared().toString(), s.activates().toString(), s.retires().toString(),
                    s.unpublishes().toString(), s.leafCertificate(), s.masterCertificate(),
                    s.wrappingKey() == null ? "-" : Base64.getUrlEncoder().withoutPadding()
                            .encodeToString(s.wrappingKey().getBytes(StandardCharsets.UTF_8)),
                    s.wrapped() == null ? "-" : s.wrapped())).append('\n');
        }
        String body = b.toString();
        return body + END + ' ' + subkeys.size() + ' ' + sha256(body) + '\n';
    }

    /**
     * @throws IllegalArgumentException (only) naming the problem if the text is cut short, edited or malformed
     */
    public static SubkeySet decode(String text) {
        if (!text.startsWith(HEADER + "\n") || !text.endsWith("\n")) {
            throw new IllegalArgumentException("not a subkey journal (" + HEADER + "), or cut short");
        }
        int end = text.lastIndexOf("\n" + END + " ");
        if (end < 0) {
            throw new IllegalArgumentException("no end line (cut short)");
        }
        String body = text.substring(0, end + 1);
        String[] trailer = text.substring(end + 1, text.length() - 1).split(" ");
        List<String> lines = body.lines().skip(1).toList();
        if (trailer.length != 3 || !trailer[2].equals(sha256(body))
                || !trailer[1].equals(Integer.toString(lines.size() - 1))) {
            throw new IllegalArgumentException("checksum or count does not match (edited or damaged)");
        }
        if (lines.isEmpty() || !lines.getFirst().startsWith("version ")) {
            throw new IllegalArgumentException("no version line");
        }
        long version;
        try {
            version = Long.parseLong(lines.getFirst().substring("version ".length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the version line is not a number");
        }
        List<SubkeyRecord> subkeys = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(" ", -1);
            if (f.length != 12) {
                throw new IllegalArgumentException("subkey line " + i + " has " + f.length + " fields, not 12");
            }
            try {
                subkeys.add(new SubkeyRecord(f[0], SigningAlgorithm.parse(f[1]), KeyState.valueOf(f[2]), f[3],
                        Instant.parse(f[4]), Instant.parse(f[5]), Instant.parse(f[6]), Instant.parse(f[7]), f[8], f[9],
                        f[10].equals("-") ? null : new String(Base64.getUrlDecoder().decode(f[10]), StandardCharsets.UTF_8),
                        f[11].equals("-") ? null : f[11]));
            } catch (RuntimeException e) { // DateTimeParseException, SignetException (algorithm), the record's checks
                throw new IllegalArgumentException("subkey line " + i + ": " + e.getMessage(), e);
            }
        }
        SubkeySet set = new SubkeySet(version, subkeys);
        // A whole file spelled otherwise than Signet writes it (number forms, base64 variants) was edited.
        if (!set.encode().equals(text)) {
            throw new IllegalArgumentException("not byte for byte what Signet writes for these subkeys (edited)");
        }
        return set;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    @Override
    public String toString() {
        return "SubkeySet[version " + version + ", " + subkeys + "]";
    }
}
