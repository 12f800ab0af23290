package dev.signet.ops;

import com.nimbusds.jose.jwk.JWK;
import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;
import dev.signet.verifier.Attenuation;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.VerifiedToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code signet attenuate}: the holder of a bound Signet token (or of a chain) signs a narrower link for the next
 * holder, offline, and writes the longer chain (verifier {@code Chain}). Nothing is sent anywhere.
 */
final class AttenuateCommand {

    static final String USAGE = "attenuate --key HOLDER_KEY.jwk --credential FILE --actor-key NEXT_PUBLIC.jwk --actor ID"
            + " [--audience A] [--resource R --action X [--action Y] ...] [--ttl SECONDS] [--out FILE]";

    private AttenuateCommand() {
    }

    /** @return the exit status: 0 written, 2 refused or malformed (the message says which rule) */
    static int run(Deque<String> args) {
        Path keyFile = null;
        Path credentialFile = null;
        Path actorKeyFile = null;
        Path out = null;
        String actor = null;
        String audience = null;
        Duration ttl = null;
        Map<String, Set<String>> scope = new LinkedHashMap<>();
        String resource = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (args.isEmpty()) {
                return usage(a + " needs a value");
            }
            String v = args.pop();
            switch (a) {
                case "--key" -> keyFile = Path.of(v);
                case "--credential" -> credentialFile = Path.of(v);
                case "--actor-key" -> actorKeyFile = Path.of(v);
                case "--actor" -> actor = v;
                case "--audience" -> audience = v;
                case "--out" -> out = Path.of(v);
                case "--resource" -> {
                    resource = v;
                    scope.putIfAbsent(v, new LinkedHashSet<>());
                }
                case "--action" -> {
                    if (resource == null) {
                        return usage("--action follows the --resource it applies to");
                    }
                    scope.get(resource).add(v);
                }
                case "--ttl" -> {
                    if (!v.matches("[1-9][0-9]{0,8}")) {
                        return usage("--ttl is a positive whole number of seconds");
                    }
                    ttl = Duration.ofSeconds(Long.parseLong(v));
                }
                default -> {
                    return usage("unknown option '" + a + "'");
                }
            }
        }
        if (keyFile == null || credentialFile == null || actorKeyFile == null || actor == null) {
            return usage("--key, --credential, --actor-key and --actor are required");
        }
        List<VerifiedToken.Grant> grants = null;
        if (!scope.isEmpty()) {
            grants = new ArrayList<>();
            for (Map.Entry<String, Set<String>> e : scope.entrySet()) {
                if (e.getValue().isEmpty()) {
                    return usage("--resource " + e.getKey() + " needs at least one --action");
                }
                try {
                    grants.add(new VerifiedToken.Grant(ResourcePattern.parse(e.getKey()), e.getValue()));
                } catch (GrammarException ex) {
                    return refuse(ex.getMessage());
                }
            }
        }
        try {
            JWK holder = readJwk(keyFile, "--key");
            if (!holder.isPrivate()) {
                return refuse("--key " + keyFile + " holds a public key; the holder signs with its private key");
            }
            try {
                if (Files.getPosixFilePermissions(keyFile).stream().anyMatch(p -> p.name().startsWith("GROUP")
                        || p.name().startsWith("OTHERS"))) {
                    System.err.println("signet: attenuate: WARNING: " + keyFile + " is open to group or others;"
                            + " a holder key is a credential: chmod 600 " + keyFile);
                }
            } catch (UnsupportedOperationException notPosix) {
                // nothing to check
            }
            JWK next = readJwk(actorKeyFile, "--actor-key").toPublicJWK();
            String credential = Files.readString(credentialFile, StandardCharsets.US_ASCII).strip();
            String longer = Attenuation.attenuate(credential, holder,
                    new Attenuation.Step(actor, next, audience, grants, ttl), Clock.systemUTC());
            if (out == null) {
                System.out.println(longer);
            } else {
                write(out, longer + "\n");
                System.err.println("signet: wrote a chain of " + (longer.chars().filter(c -> c == '~').count())
                        + " link(s), " + longer.length() + " bytes, to " + out);
            }
            return 0;
        } catch (Rejected e) {
            return refuse(e.reason() + ": " + e.getMessage());
        } catch (IOException e) {
            return refuse("cannot read or write: " + e.getMessage());
        }
    }

    static JWK readJwk(Path file, String option) throws IOException {
        try {
            return JWK.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new Rejected("malformed", option + " " + file + " is not a JWK (RFC 7517 JSON)");
        }
    }

    /** A chain is a credential: 0600, written whole or not at all. */
    private static void write(Path out, String text) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".chain", ".tmp", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static int usage(String message) {
        System.err.println("signet: attenuate: " + message + "\nusage: signet " + USAGE);
        return 2;
    }

    private static int refuse(String message) {
        System.err.println("signet: attenuate: " + message);
        return 2;
    }
}
