package dev.signet.ops;

import dev.signet.api.SignetConfig;
import dev.signet.pkcs11.SoftHsmDevToken;
import dev.signet.issuance.CredentialHash;
import dev.signet.spi.StateFiles;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code signet dev}: the embedded default. Software keys in the data directory, one dev minter
 * allowed everything up to 1 hour, credentials kept in {@code <data-dir>/dev-credentials} (0600) so
 * restarts keep them, unless {@code SIGNET_DEV_MINTER_TOKEN} / {@code SIGNET_DEV_ADMIN_TOKEN} fix them.
 */
final class DevMode {

    private static final SecureRandom RANDOM = new SecureRandom();

    private DevMode() {
    }

    static void run(Deque<String> args) {
        int port = 8080;
        int adminPort = 9090;
        Path dataDir = Path.of(".signet", "dev");
        String backend = "software";
        String algorithm = "ES256";
        String mode = "direct";
        String subkeyAlgorithm = null;
        String kmsEndpoint = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        boolean tls = false;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--tls")) {
                tls = true;
                continue;
            }
            if (args.isEmpty()) {
                Signet.fail("dev: option " + a + " needs a value\n" + Signet.USAGE);
            }
            switch (a) {
                case "--port" -> port = Integer.parseInt(args.pop());
                case "--admin-port" -> adminPort = Integer.parseInt(args.pop());
                case "--data-dir" -> dataDir = Path.of(args.pop());
                case "--backend" -> backend = args.pop();
                case "--algorithm" -> algorithm = args.pop();
                case "--mode" -> mode = args.pop();
                case "--subkey-algorithm" -> subkeyAlgorithm = args.pop();
                case "--kms-endpoint" -> kmsEndpoint = args.pop();
                case "--set" -> {
                    String kv = args.pop();
                    int eq = kv.indexOf('=');
                    if (eq < 1 || !kv.startsWith("signet.")) {
                        Signet.fail("dev: --set takes signet.KEY=VALUE, not '" + kv + "'");
                    }
                    overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                default -> Signet.fail("dev: unknown option '" + a + "'\n" + Signet.USAGE);
            }
        }
        // An empty data dir is a new dev issuer: keys an earlier run left in a shared backend (moto) do not stop it.
        boolean freshDataDir = isEmptyOrMissing(dataDir);
        Map<String, String> backendValues = switch (backend) {
            case "software" -> Map.of("type", "software");
            case "softhsm" -> softhsm(dataDir);
            case "kms" -> kms(kmsEndpoint);
            default -> {
                Signet.fail("dev: unknown backend '" + backend + "'; use software, softhsm or kms");
                yield Map.of();
            }
        };
        Path dir = dataDir;
        Properties creds = credentials(dir);
        String minter = creds.getProperty("minter");
        String admin = creds.getProperty("admin");
        String issuer = (tls ? "https" : "http") + "://localhost:" + port;
        DevTls.Files5 certs = null;
        if (tls) {
            try {
                certs = DevTls.ensure(dir);
            } catch (IOException e) {
                Signet.fail("dev: " + e.getMessage());
            }
        }

        Map<String, String> c = new LinkedHashMap<>();
        c.put("signet.issuer", issuer);
        c.put("signet.port", Integer.toString(port));
        c.put("signet.admin.port", Integer.toString(adminPort));
        c.put("signet.data-dir", dataDir.toString());
        c.put("signet.admin.credential-hash", CredentialHash.of(admin).text());
        backendValues.forEach((k, v) -> c.put("signet.backend." + k, v));
        c.put("signet.rotation.algorithm", algorithm);
        c.put("signet.mode", mode);
        if (subkeyAlgorithm != null) {
            c.put("signet.delegation.algorithm", subkeyAlgorithm);
        }
        c.put("signet.minters.0.name", "dev");
        c.put("signet.minters.0.credential-hash", CredentialHash.of(minter).text());
        c.put("signet.minters.0.audiences.0", "*");        // any audience in canonical form
        c.put("signet.minters.0.resources.0", "**");       // any resource in the grammar
        c.put("signet.minters.0.actions.0", "*");
        c.put("signet.minters.0.max-ttl", "3600");
        if (certs != null) {
            for (String socket : new String[] {"signet.tls.", "signet.admin.tls."}) {
                c.put(socket + "certificate", certs.server().toString());
                c.put(socket + "private-key", certs.serverKey().toString());
            }
            c.put("signet.tls.client-trust." + DevTls.TRUST_DOMAIN, certs.ca().toString());
            // The dev minter then needs both its bearer credential and its certificate.
            c.put("signet.minters.0.client-certificate.spiffe-id", DevTls.MINTER_ID);
        }
        c.putAll(overrides);
        // A map of known keys and built-in types: no parser, mapper or filter services to look up on the class path.
        SignetConfig config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().disableParserServices().disableMapperServices()
                .disableFilterServices().addSource(ConfigSources.create(c)).build());

        DevTls.Files5 shown = certs;
        Signet.runUntilStopped(config, freshDataDir, () -> {
            System.out.println("signet: DEV MODE — keys, state and dev credentials in " + dir.toAbsolutePath()
                    + "; not for production");
            System.out.println("signet: dev minter credential: " + minter);
            System.out.println("signet: dev admin credential:  " + admin);
            System.out.println("""
                    signet: try it:
                      curl -s -X POST %s/v1/tokens -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\
                        -d '{"sub":"agent-7","aud":"https://api.example.com","ttl":600,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}'
                    """.formatted(issuer, minter).replace("curl -s ", shown == null ? "curl -s "
                    : "curl -s --cacert " + shown.ca() + " --cert " + shown.minter() + " --key " + shown.minterKey()
                    + " "));
            if (shown != null) {
                System.out.println("signet: TLS on both sockets (throwaway CA " + shown.ca() + "); the dev minter"
                        + " also needs its client certificate " + DevTls.MINTER_ID + "; keys: signet keys list"
                        + " --admin https://localhost:" + config.adminPort() + " --cacert " + shown.ca());
            }
        });
    }

    /**
     * A SoftHSM2 token in the data directory, made on first use. SoftHSM2 reads {@code SOFTHSM2_CONF} only
     * from the process environment, so ops/bin/signet exports it before the JVM starts.
     */
    private static boolean isEmptyOrMissing(Path dir) {
        try (var entries = java.nio.file.Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Map<String, String> softhsm(Path dataDir) {
        SoftHsmDevToken.Setup setup = new SoftHsmDevToken(System::getenv).ensure(dataDir);
        String exported = System.getenv("SOFTHSM2_CONF");
        if (exported == null || !Path.of(exported).toAbsolutePath().normalize().equals(setup.softhsm2Conf().normalize())) {
            Signet.fail("dev: SoftHSM2 needs SOFTHSM2_CONF=" + setup.softhsm2Conf() + " in the environment before the "
                    + "JVM starts; run through ops/bin/signet, which sets it");
        }
        Map<String, String> values = new LinkedHashMap<>(setup.backendValues());
        values.put("type", "pkcs11");
        return values;
    }

    /**
     * A KMS endpoint such as a local moto, with throwaway credentials from AWS_ACCESS_KEY_ID /
     * AWS_SECRET_ACCESS_KEY (ops/bin/signet sets dummy ones when they are unset).
     */
    private static Map<String, String> kms(String endpoint) {
        if (endpoint == null) {
            Signet.fail("dev: --backend kms needs --kms-endpoint URL (e.g. a local moto: moto_server -p 5000)");
        }
        for (String name : new String[]{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) {
            if (System.getenv(name) == null || System.getenv(name).isBlank()) {
                Signet.fail("dev: " + name + " is not set; run through ops/bin/signet, which sets throwaway values");
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("type", "kms");
        values.put("endpoint", endpoint);
        values.put("region", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
        values.put("access-key-id-env", "AWS_ACCESS_KEY_ID");
        values.put("secret-access-key-env", "AWS_SECRET_ACCESS_KEY");
        return values;
    }

    private static Properties credentials(Path dataDir) {
        Path file = dataDir.resolve("dev-credentials");
        Properties p = new Properties();
        try {
            if (Files.exists(file)) {
                try (var in = Files.newBufferedReader(file)) {
                    p.load(in);
                }
            }
            boolean changed = false;
            for (String[] entry : new String[][]{{"minter", "SIGNET_DEV_MINTER_TOKEN"}, {"admin", "SIGNET_DEV_ADMIN_TOKEN"}}) {
                String fixed = System.getenv(entry[1]);
                if (fixed != null && !fixed.isBlank()) {
                    p.setProperty(entry[0], fixed.strip());
                    continue; // not written: a fixed credential lives in the caller's environment only
                }
                if (p.getProperty(entry[0]) == null) {
                    p.setProperty(entry[0], randomCredential());
                    changed = true;
                }
            }
            if (changed) {
                Properties persist = new Properties();
                for (String k : new String[]{"minter", "admin"}) {
                    String env = k.equals("minter") ? "SIGNET_DEV_MINTER_TOKEN" : "SIGNET_DEV_ADMIN_TOKEN";
                    if (System.getenv(env) == null || System.getenv(env).isBlank()) {
                        persist.setProperty(k, p.getProperty(k));
                    }
                }
                StringWriter text = new StringWriter();
                persist.store(text, "signet dev credentials (development only)");
                StateFiles.writeString(file, text.toString());
            }
            return p;
        } catch (IOException e) {
            Signet.fail("dev: cannot keep credentials in " + file + ": " + e.getMessage());
            return p;
        }
    }

    static String randomCredential() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return "sgt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
