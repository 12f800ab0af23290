package dev.signet.ops;

import dev.signet.api.SignetConfig;
import dev.signet.audit.AuditLog;
import dev.signet.audit.AuditSearch;
import dev.signet.audit.AuditVerifier;
import dev.signet.rotation.ReplicaId;
import dev.signet.store.postgres.PostgresStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code signet audit verify DIR [--pin KID] [--heads-from CONFIG]} and {@code signet audit find DIR --task T | --sub S | --jti J |
 * --client-id M}: offline, on a copy of a replica's log directory; nothing here talks to a daemon.
 */
final class AuditCommand {

    static final String USAGE = "audit verify DIR [--pin KID] [--heads-from CONFIG] | audit find DIR --task T | --sub S | --jti J | --client-id M";

    private AuditCommand() {
    }

    /** Exit status: 0 when the log verifies (or something was found), 1 when it is broken (or nothing matched). */
    static int run(Deque<String> args) {
        String verb = args.isEmpty() ? "" : args.pop();
        if (args.isEmpty()) {
            throw usage();
        }
        Path dir = Path.of(args.pop());
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory (an audit log is <audit dir>/<replica id>)");
        }
        try {
            return switch (verb) {
                case "verify" -> verify(dir, args);
                case "find" -> find(dir, args);
                default -> throw usage();
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    private static int verify(Path dir, Deque<String> args) throws IOException {
        Optional<String> pin = Optional.empty();
        Path headsFrom = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--pin") && !args.isEmpty()) {
                pin = Optional.of(args.pop());
            } else if (a.equals("--heads-from") && !args.isEmpty()) {
                headsFrom = Path.of(args.pop());
            } else {
                throw usage();
            }
        }
        AuditVerifier.Report report = headsFrom == null ? AuditVerifier.verify(dir, pin)
                : AuditVerifier.verify(dir, pin, heads(headsFrom));
        System.out.print(report.describe());
        if (report.ok() && pin.isEmpty() && report.firstKey() != null) {
            System.out.println("not pinned: the chain verifies from its own first key; compare it with the key"
                    + " your records show for this issuer");
        }
        return report.ok() ? 0 : 1;
    }

    /**
     * Each replica's latest checkpoint head from the PostgreSQL store that {@code config} (a replica's
     * configuration file) names, for its issuer.
     */
    static Map<String, AuditLog.Head> heads(Path config) {
        if (!Files.isReadable(config)) {
            throw new IllegalArgumentException("--heads-from " + config + " is not a readable configuration file");
        }
        SignetConfig signet = SignetConfig.from(SignetConfig.yamlFile(config));
        SignetConfig.Store s = signet.store();
        if (!s.postgres()) {
            throw new IllegalArgumentException("--heads-from needs a configuration with signet.store.type: postgres;"
                    + " the file store keeps no heads, so the tail after the last checkpoint stays unanchored");
        }
        try (PostgresStore db = PostgresStore.open(new PostgresStore.Settings(s.url(), s.user(),
                s.password(System::getenv), new ReplicaId("audit-verify")))) {
            Map<String, AuditLog.Head> heads = new LinkedHashMap<>();
            db.journal(signet.issuer()).auditHeads().latest().forEach((replica, h) -> heads.put(replica,
                    new AuditLog.Head(h.replica(), h.seq(), h.head(), h.time(), h.jws())));
            return heads;
        }
    }

    private static int find(Path dir, Deque<String> args) throws IOException {
        Map<String, String> criteria = new LinkedHashMap<>();
        while (!args.isEmpty()) {
            String flag = args.pop();
            if (!flag.startsWith("--") || args.isEmpty()) {
                throw usage();
            }
            criteria.put(flag.substring(2).replace('-', '_'), args.pop());
        }
        if (criteria.isEmpty()) {
            throw usage();
        }
        long n = AuditSearch.find(dir, criteria, System.out::println);
        System.err.println(n + " record(s)");
        return n > 0 ? 0 : 1;
    }

    private static IllegalArgumentException usage() {
        return new IllegalArgumentException("usage: signet " + USAGE);
    }
}
