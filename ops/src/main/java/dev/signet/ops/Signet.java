package dev.signet.ops;

import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.spi.SignetException;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The {@code signet} command line: {@code serve}, {@code dev}, {@code keys}, {@code revoke}, {@code audit}, {@code attenuate}, {@code verify}, {@code hash-credential}. */
public final class Signet {

    static final String USAGE = """
            usage: signet <command> [options]
              dev [--tls] [--port 8080] [--admin-port 9090] [--data-dir .signet/dev] [--backend software|softhsm|kms] [--kms-endpoint URL]
                  [--algorithm ES256|EdDSA|PS256|RS256] [--mode direct|delegated] [--subkey-algorithm ES256|EdDSA]
                  [--set signet.KEY=VALUE ...]  (any configuration key, e.g. signet.backend.signing-threads=2)
                                    start on the embedded default (software keys, dev credentials)
              serve --config FILE [--init-issuer]
                                    start from a configuration file; --init-issuer starts a new issuer although
                                    the data dir or backend shows one existed and its key journal is gone
              keys list | prepare | rotate | activate KID | retire KID | revoke KID | destroy KID --now
                   [--admin http://127.0.0.1:9090] [--json] [--cacert PEM] [--cert PEM --key PEM]
                                    show keys and their timeline, or move a key through its lifecycle
                                    (admin credential in SIGNET_ADMIN_TOKEN; --json prints the admin API's answer)
              keys create-wrapping-key --config FILE
                                    create the delegation wrapping key in the backend before the first replicas
                                    start together (offline; prints its id)
              revoke --jti J | --task T | --sub S | --client-id M [--reason R] [--admin URL]
                                    revoke tokens (and every token exchanged from them); prints the rule
              attenuate --key HOLDER_KEY.jwk --credential FILE --actor-key NEXT_PUBLIC.jwk --actor ID [--audience A]
                  [--resource R --action X ...] [--ttl SECONDS] [--out FILE]
                                    sign a narrower link for a sub-agent offline; prints (or writes) the longer chain
              verify --issuer URL [--audience A --resource R --action X] [--dpop PROOF|@FILE [--method M --url U]]
                  [--jwks URL] CREDENTIAL|FILE|-
                                    verify a token or a chain as a service does; prints the decision and the chain
                                    as JSON; exit 0 allow, 1 deny, 2 malformed
              audit verify DIR [--pin KID] [--heads-from CONFIG]
                                    check a replica's audit log offline (every hash link and checkpoint); with
                                    --heads-from, also against the checkpoint heads in CONFIG's PostgreSQL store
              audit find DIR --task T | --sub S | --jti J | --client-id M    records that match
              hash-credential       read a credential on stdin, print its sha256: hash for the config
              new-credential        print a new random credential and its hash
              --version             print the version
              test | build | dist   (source checkout only, handled by ops/bin/signet) run every test, build,
                                    build the release tarball
            """;

    private Signet() {
    }

    public static void main(String[] args) {
        Deque<String> rest = new ArrayDeque<>(Arrays.asList(args));
        String command = rest.isEmpty() ? "help" : rest.pop();
        if (command.equals("serve") || command.equals("dev") || command.equals("aot-training")) {
            // Before logging and configuration; which keys the configuration wants is not known yet, so key making too.
            Daemon.beginStart(true);
            LogConfig.configureRuntime(); // the daemon's logging; CLI verbs print only their answer
        }
        try {
            switch (command) {
                case "serve" -> serve(rest);
                case "dev" -> DevMode.run(rest);
                case "keys" -> KeysCommand.run(rest);
                case "revoke" -> RevokeCommand.run(rest);
                case "audit" -> exitWith(auditCommand(rest));
                case "attenuate" -> exitWith(AttenuateCommand.run(rest));
                case "verify" -> exitWith(VerifyCommand.run(rest));
                case "hash-credential" -> hashCredential();
                case "new-credential" -> newCredential();
                case "--version", "version" -> System.out.println("signet " + version());
                case "aot-training" -> training(rest);
                case "help", "--help", "-h" -> System.out.print(USAGE);
                default -> fail("unknown command '" + command + "'\n" + USAGE);
            }
        } catch (SignetException e) {
            fail(e.getMessage());
        }
    }

    private static void serve(Deque<String> args) {
        Path file = null;
        boolean initIssuer = false;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--config") && !args.isEmpty()) {
                file = Path.of(args.pop());
            } else if (a.equals("--init-issuer")) {
                initIssuer = true;
            } else {
                fail("serve: unknown option '" + a + "'\n" + USAGE);
            }
        }
        if (file == null || !Files.isReadable(file)) {
            fail("serve: --config FILE is required and must be readable" + (file == null ? "" : ": " + file));
        }
        Config config = SignetConfig.yamlFile(file);
        SignetConfig signet = SignetConfig.from(config);
        dev.signet.api.LogFormat.apply(config);
        if (!signet.issuer().startsWith("https://")) {
            // RFC 8414 §3 wants https; verifiers fetching the JWKS over http can be fed other keys.
            System.err.println("signet: WARNING: signet.issuer " + signet.issuer() + " is not https; verifiers"
                    + " must reach the JWKS and metadata over https in production");
        }
        runUntilStopped(signet, initIssuer, null);
    }

    /** Starts the daemon and blocks until SIGTERM / Ctrl-C, then shuts down gracefully. */
    static void runUntilStopped(SignetConfig config, boolean initIssuer, Runnable afterStart) {
        Daemon daemon = Daemon.start(config, Clock.systemUTC(), initIssuer);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("signet: shutting down");
            daemon.close();
            stopped.countDown();
        }, "signet-shutdown"));
        String adminHost = config.adminHost();
        System.out.println("signet: issuer    " + config.issuer());
        System.out.println("signet: signing   http://" + config.host() + ":" + daemon.server().port() + "/v1/tokens");
        System.out.println("signet: JWKS      http://" + config.host() + ":" + daemon.server().port() + "/.well-known/jwks.json");
        System.out.println("signet: admin     http://" + adminHost + ":" + daemon.server().adminPort()
                + "/v1/keys  (health: /observe/health, metrics: /observe/metrics)");
        System.out.println("signet: backend   " + daemon.backend().type()
                + (daemon.backend().hardwareProtected() ? " (hardware-protected)" : " (NOT hardware-protected)"));
        if (afterStart != null) {
            afterStart.run();
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void training(Deque<String> args) {
        try {
            if (args.size() < 2) {
                fail("aot-training EXAMPLE_CONFIG CLI_CACHE [CLI_JVM_OPTION ...] (run by bin/signet)");
            }
            StartupTraining.run(Path.of(args.pop()), Path.of(args.pop()), List.copyOf(args));
        } catch (java.io.IOException e) {
            fail("aot-training: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0); // the daemon's non-daemon threads must not hold the JVM (the cache is written at exit)
    }

    private static void hashCredential() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line = in.readLine();
            if (line == null || line.isBlank()) {
                fail("hash-credential: write the credential on standard input");
            }
            System.out.println(CredentialHash.of(line.strip()).text());
        } catch (java.io.IOException e) {
            fail("hash-credential: " + e.getMessage());
        }
    }

    private static void newCredential() {
        String credential = DevMode.randomCredential();
        System.out.println("credential: " + credential);
        System.out.println("hash:       " + CredentialHash.of(credential).text());
    }

    private static int auditCommand(Deque<String> rest) {
        try {
            return AuditCommand.run(rest);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            fail(e.getMessage());
            return 2;
        }
    }

    private static void exitWith(int status) {
        System.out.flush();
        System.exit(status);
    }

    /** The release version, from the build ({@code version.properties}). */
    static String version() {
        try (var in = Signet.class.getResourceAsStream("version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static void fail(String message) {
        System.err.println("signet: " + message);
        System.exit(2);
    }
}
