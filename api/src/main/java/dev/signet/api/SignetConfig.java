package dev.signet.api;

import dev.signet.rotation.RotationPolicy;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.issuance.CredentialHash;
import dev.signet.issuance.Minter;
import dev.signet.issuance.MinterPolicy;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.config.ConfigSources;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * The daemon's configuration, read from the {@code signet} node (see the README's configuration
 * reference). Holds credential hashes only, never plaintext credentials.
 */
public record SignetConfig(String issuer, String host, int port, String adminHost, int adminPort, Path dataDir,
                           long maxBodyBytes, int maxBatch, RotationPolicy rotation, Delegation delegation,
                           CredentialHash adminCredential, List<Minter> minters, String backendType,
                           Map<String, String> backendValues, String replicaId, Audit audit, Store store,
                           HttpLimits http, Tls tls) {

    /**
     * Bounds on slow and numerous clients, per socket ({@code signet.http.*}): a connection gets
     * {@code idleTimeout} to start a request (a fresh one, or the next on a kept-alive connection),
     * {@code headerTimeout} from its request line to the end of its headers and {@code bodyTimeout} for its body;
     * beyond {@code maxConnections} open connections, new ones wait in the accept backlog; beyond
     * {@code maxInFlight} signing requests being served at once, further ones are refused at once (503 overloaded,
     * see {@link Admission}); up to {@code maxParked} requests waiting for their audit record's fsync hold no
     * in-flight place.
     */
    public record HttpLimits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections,
                             int maxInFlight, int maxParked) {

        /** 32 signing requests in flight per core: a few milliseconds of work queued, not seconds. */
        public static final int DEFAULT_MAX_IN_FLIGHT = 32 * Runtime.getRuntime().availableProcessors();

        /**
         * Requests parked on the audit group commit: enough for tokens/s x fsync latency on a slow disk (13 k/s x
         * 40 ms p99 = 520); each holds a virtual thread and its request, a few KB.
         */
        public static final int DEFAULT_MAX_PARKED = 1024;

        public static final HttpLimits DEFAULT = new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(60), 1024, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_PARKED);

        public HttpLimits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections) {
            this(headerTimeout, bodyTimeout, idleTimeout, maxConnections, DEFAULT_MAX_IN_FLIGHT);
        }

        public HttpLimits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections,
                          int maxInFlight) {
            this(headerTimeout, bodyTimeout, idleTimeout, maxConnections, maxInFlight, DEFAULT_MAX_PARKED);
        }

        /** @throws SignetException INVALID_ARGUMENT for a timeout under 100 ms or a bound under 1 */
        public HttpLimits {
            for (Duration d : List.of(headerTimeout, bodyTimeout, idleTimeout)) {
                if (d.toMillis() < 100) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.http timeouts must be at least 100 ms, not " + d);
                }
            }
            if (maxConnections < 1) {
                throw new SignetException(Code.INVALID_ARGUMENT, "signet.http.max-connections must be at least 1");
            }
            if (maxInFlight < 1) {
                throw new SignetException(Code.INVALID_ARGUMENT, "signet.http.max-in-flight must be at least 1");
            }
            if (maxParked < 0) {
                throw new SignetException(Code.INVALID_ARGUMENT, "signet.http.max-parked must be at least 0 (0: a "
                        + "request waiting for its audit record keeps its in-flight place)");
            }
        }

        /** How often Helidon looks for idle connections: a quarter of the timeout, at least every 10 s. */
        Duration idleCheckPeriod() {
            return Duration.ofMillis(Math.clamp(idleTimeout.toMillis() / 4, 50, 10_000));
        }
    }

    /**
     * TLS on the public ({@code signet.tls}) and admin ({@code signet.admin.tls}) sockets, each null for plain
     * HTTP, and the client certificate the admin socket requires ({@code signet.admin.client-certificate}, null
     * for none).
     */
    public record Tls(TlsSettings publicSocket, TlsSettings adminSocket,
                      dev.signet.issuance.ClientCertificate adminClientCertificate) {

        public static final Tls NONE = new Tls(null, null, null);
    }

    /**
     * Where the key journal and the writer's lease live ({@code signet.store.*}): {@code file} (the default; in the
     * data dir, replicas on one host) or {@code postgres} (replicas on several hosts). The PostgreSQL password
     * comes from an environment variable or a file, never from the configuration text.
     */
    public record Store(String type, String url, String user, String passwordEnv, Path passwordFile,
                        Duration leaseTtl, Duration adoptAfter) {

        public boolean postgres() {
            return "postgres".equals(type);
        }

        /**
         * @throws SignetException INVALID_ARGUMENT if the variable is unset or the file cannot be read; null when
         *                         neither is configured
         */
        public String password(java.util.function.Function<String, String> env) {
            if (passwordEnv != null) {
                String v = env.apply(passwordEnv);
                if (v == null || v.isEmpty()) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.password-env names "
                            + passwordEnv + ", which is not set");
                }
                return v;
            }
            if (passwordFile != null) {
                try {
                    return java.nio.file.Files.readString(passwordFile).strip();
                } catch (java.io.IOException e) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.password-file " + passwordFile
                            + " cannot be read: " + e.getMessage());
                }
            }
            return null;
        }
    }

    /**
     * The audit trail ({@code signet.audit.*}): where this replica's log lives (default {@code <data-dir>/audit}),
     * whether a token waits for its record's fsync ({@code sync}, the default) or not ({@code async}), how long
     * whole segments are kept, and how often a checkpoint is signed by the backend key. Null when
     * {@code durability: none} (benchmarks only: nothing is recorded).
     */
    public record Audit(Path dir, dev.signet.audit.AuditLog.Durability durability, Duration retention,
                        int checkpointEvery, Duration checkpointInterval) {
    }

    /**
     * Delegated mode ({@code signet.mode: delegated}): the backend key certifies in-memory subkeys that sign.
     * Null in direct mode, where every token is signed in the backend. {@code wrappingKey}
     * ({@code signet.delegation.wrapping-key}: a KMS key ARN or alias, a PKCS#11 label) names the backend key that
     * wraps subkeys' private parts in the store so restarted and new replicas sign with them at once; null: not kept.
     */
    public record Delegation(SigningAlgorithm algorithm, Duration lifetime, String wrappingKey) {

        /** Without a wrapping key: subkeys' private parts are never kept outside the process. */
        public Delegation(SigningAlgorithm algorithm, Duration lifetime) {
            this(algorithm, lifetime, null);
        }
    }

    /**
     * @throws SignetException INVALID_ARGUMENT if a port is outside 0..65535 (0: any free one), a body or batch
     *                         limit is under 1, or a minter may ask for a longer ttl than the rotation allows
     */
    public SignetConfig {
        if (port < 0 || port > 65535 || adminPort < 0 || adminPort > 65535) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.port and signet.admin.port must be 0..65535"
                    + " (0: any free port), not " + (port < 0 || port > 65535 ? port : adminPort));
        }
        if (maxBodyBytes < 1) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.max-body-bytes must be at least 1");
        }
        if (maxBatch < 1) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.max-batch must be at least 1");
        }
        minters = List.copyOf(minters);
        tls = tls == null ? Tls.NONE : tls;
        backendValues = Map.copyOf(backendValues);
        if (adminCredential == null && tls.adminClientCertificate() == null) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.admin.credential-hash is required (or"
                    + " signet.admin.client-certificate with signet.admin.tls.client-trust)");
        }
        if (tls.adminClientCertificate() != null && (tls.adminSocket() == null
                || tls.adminSocket().clientTrust().isEmpty())) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.admin.client-certificate needs"
                    + " signet.admin.tls with client-trust: without TLS no certificate reaches the admin socket");
        }
        for (Minter m : minters) {
            if (m.clientCertificate() != null && (tls.publicSocket() == null
                    || tls.publicSocket().clientTrust().isEmpty())) {
                throw new SignetException(Code.INVALID_ARGUMENT, "minter " + m.name() + " has a client-certificate,"
                        + " which needs signet.tls with client-trust for its trust domain");
            }
            String domain = m.clientCertificate() == null ? null : m.clientCertificate().trustDomain();
            if (domain != null && !tls.publicSocket().clientTrust().containsKey(domain)) {
                throw new SignetException(Code.INVALID_ARGUMENT, "minter " + m.name() + " expects SPIFFE trust domain "
                        + domain + ", which has no signet.tls.client-trust." + domain + " bundle");
            }
            if (m.policy().maxTtl().compareTo(rotation.maxTokenTtl()) > 0) {
                throw new SignetException(Code.INVALID_ARGUMENT, "minter " + m.name() + " has max-ttl "
                        + m.policy().maxTtl() + ", longer than signet.rotation.max-token-ttl " + rotation.maxTokenTtl()
                        + "; retired keys would be unpublished before its tokens expire");
            }
        }
    }

    /**
     * The text of {@code signet serve --config FILE} as Helidon config (for {@link #from} and the logging settings),
     * without environment variables or system properties.
     *
     * @throws SignetException INVALID_ARGUMENT when it is not YAML, with the line at fault
     */
    public static Config yaml(String text) {
        try {
            return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                    .addSource(ConfigSources.create(text, MediaTypes.APPLICATION_X_YAML)).build();
        } catch (ConfigException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "the signet configuration is not valid YAML: "
                    + oneLine(e.getMessage()));
        } catch (IllegalStateException e) {
            // Helidon splits keys at dots: "a..b" or ".a" beside "a" name one key twice (its message dumps the tree).
            throw new SignetException(Code.INVALID_ARGUMENT, "the signet configuration names a key twice, or has a"
                    + " key with an empty part between dots (like 'a..b')");
        }
    }

    /**
     * SnakeYAML's message on one line, without the source lines it quotes (indented by four spaces), which may hold
     * a secret: "while scanning a quoted scalar at line 2, column 11: found unexpected end of stream at line 4...".
     */
    private static String oneLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        return message.lines().filter(l -> !l.startsWith("    ")).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.replace("in 'reader', ", "at ")).collect(java.util.stream.Collectors.joining(" "));
    }

    /**
     * {@link #yaml} of a configuration file, for {@code serve} and every CLI verb that reads one.
     *
     * @throws SignetException INVALID_ARGUMENT naming the file when it cannot be read or is not YAML
     */
    public static Config yamlFile(java.nio.file.Path file) {
        String text;
        try {
            text = java.nio.file.Files.readString(file);
        } catch (java.io.IOException | java.io.UncheckedIOException e) { // MalformedInputException: not UTF-8
            throw new SignetException(Code.INVALID_ARGUMENT, "cannot read the configuration " + file + ": " + e);
        }
        try {
            return yaml(text);
        } catch (SignetException e) {
            throw new SignetException(e.code(), file + ": " + e.getMessage());
        }
    }

    /** {@link #from} of {@link #yaml}. @throws SignetException INVALID_ARGUMENT naming the line or key at fault */
    public static SignetConfig load(String yaml) {
        return from(yaml(yaml));
    }

    /** @throws SignetException INVALID_ARGUMENT naming the missing or invalid key */
    public static SignetConfig from(Config root) {
        try {
            return read(root);
        } catch (ConfigException e) {
            // Helidon's typed getters (asInt, asList...) refuse a value of the wrong type; its message names the key.
            throw new SignetException(Code.INVALID_ARGUMENT, "signet configuration: " + e.getMessage());
        }
    }

    private static SignetConfig read(Config root) {
        Config c = root.get("signet");
        String issuer = issuer(required(c, "issuer"));
        Config backend = c.get("backend");
        String type = required(backend, "type");
        Map<String, String> values = backend.detach().asMap().orElse(Map.of());
        return new SignetConfig(
                issuer,
                c.get("host").asString().orElse("127.0.0.1"),
                c.get("port").asInt().orElse(8080),
                c.get("admin.host").asString().orElse("127.0.0.1"),
                c.get("admin.port").asInt().orElse(9090),
                Path.of(c.get("data-dir").asString().orElse(".signet")),
                c.get("max-body-bytes").asLong().orElse(64 * 1024L),
                c.get("max-batch").asInt().orElse(100),
                rotation(c.get("rotation"), type),
                delegation(c),
                credentialHash(c.get("admin.credential-hash")),
                minters(c.get("minters")),
                type,
                values,
                c.get("replica-id").asString().orElse(null),
                audit(c),
                store(c.get("store")),
                httpLimits(c.get("http")),
                new Tls(TlsSettings.from(c.get("tls")), TlsSettings.from(c.get("admin.tls")),
                        clientCertificate(c.get("admin.client-certificate"))));
    }

    private static HttpLimits httpLimits(Config h) {
        HttpLimits d = HttpLimits.DEFAULT;
        return new HttpLimits(duration(h.get("header-timeout"), d.headerTimeout()),
                duration(h.get("body-timeout"), d.bodyTimeout()), duration(h.get("idle-timeout"), d.idleTimeout()),
                h.get("max-connections").asInt().orElse(d.maxConnections()),
                h.get("max-in-flight").asInt().orElse(d.maxInFlight()),
                h.get("max-parked").asInt().orElse(d.maxParked()));
    }

    /**
     * An http(s) URL with a host, no query, fragment or user info, and a plain path (RFC 8414 §2: the metadata
     * and JWKS URLs are built from it). A trailing '/' is dropped.
     */
    static String issuer(String text) {
        String issuer = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        java.net.URI uri;
        try {
            uri = new java.net.URI(issuer);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null
                || !uri.getRawPath().matches("(/[A-Za-z0-9._~-]+)*") || uri.getRawPath().matches(".*/\\.\\.?(/.*)?")) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.issuer must be an http(s) URL with a host and at"
                    + " most a plain path (letters, digits, . _ ~ -), no query, fragment or user info; not '" + text + "'");
        }
        return issuer;
    }

    /** {@code spiffe-id} or {@code subject}, exactly one; null when the node is absent. */
    private static dev.signet.issuance.ClientCertificate clientCertificate(Config node) {
        if (!node.exists()) {
            return null;
        }
        var spiffe = node.get("spiffe-id").asString().filter(v -> !v.isBlank());
        var subject = node.get("subject").asString().filter(v -> !v.isBlank());
        if (spiffe.isPresent() == subject.isPresent()) {
            throw new SignetException(Code.INVALID_ARGUMENT, node.key() + " needs spiffe-id or subject (one of them)");
        }
        try {
            return spiffe.isPresent() ? dev.signet.issuance.ClientCertificate.spiffeId(spiffe.get())
                    : dev.signet.issuance.ClientCertificate.subject(subject.get());
        } catch (SignetException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, node.key() + ": " + e.getMessage());
        }
    }

    private static Store store(Config s) {
        String type = s.get("type").asString().orElse("file");
        if (s.get("password").exists()) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.password is not read: keep the password"
                    + " out of the configuration with signet.store.password-env or signet.store.password-file");
        }
        String env = s.get("password-env").asString().filter(v -> !v.isBlank()).orElse(null);
        Path file = s.get("password-file").asString().filter(v -> !v.isBlank()).map(Path::of).orElse(null);
        switch (type) {
            case "file" -> {
                return new Store(type, null, null, null, null, null, null);
            }
            case "postgres" -> {
                String url = required(s, "url");
                if (!url.startsWith("jdbc:postgresql:")) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.url must be a JDBC URL like"
                            + " jdbc:postgresql://db.example:5432/signet");
                }
                if (url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.url must not carry the password;"
                            + " use signet.store.password-env or signet.store.password-file");
                }
                if (env != null && file != null) {
                    throw new SignetException(Code.INVALID_ARGUMENT,
                            "set one of signet.store.password-env and signet.store.password-file, not both");
                }
                // How long a writer that died mid-change keeps others waiting; short only in tests and drills.
                Duration leaseTtl = optionalDuration(s.get("lease-ttl"))
                        .orElse(dev.signet.store.postgres.PostgresStore.Settings.DEFAULT_LEASE_TTL);
                // How long a replica goes unseen before a survivor adopts its status lists (module README).
                Duration adoptAfter = optionalDuration(s.get("adopt-after"))
                        .orElse(dev.signet.store.postgres.PostgresStatusStore.DEFAULT_ADOPT_AFTER);
                if (adoptAfter.compareTo(Duration.ofSeconds(1)) < 0) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "signet.store.adopt-after must be at least 1s"
                            + " (default " + dev.signet.store.postgres.PostgresStatusStore.DEFAULT_ADOPT_AFTER + ")");
                }
                return new Store(type, url, s.get("user").asString().orElse(null), env, file, leaseTtl, adoptAfter);
            }
            default -> throw new SignetException(Code.INVALID_ARGUMENT,
                    "signet.store.type must be 'file' or 'postgres', not '" + type + "'");
        }
    }

    private static Audit audit(Config c) {
        Config a = c.get("audit");
        Path dataDir = Path.of(c.get("data-dir").asString().orElse(".signet"));
        String durability = a.get("durability").asString().orElse("sync");
        if (!durability.equals("sync") && !durability.equals("async") && !durability.equals("none")) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.audit.durability is sync, async or none, not "
                    + durability);
        }
        if (durability.equals("none")) { // for benchmarks that measure what the audit trail costs
            return null;
        }
        int every = a.get("checkpoint-every").asInt().orElse(10_000);
        if (every < 1) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.audit.checkpoint-every must be at least 1");
        }
        return new Audit(Path.of(a.get("dir").asString().orElse(dataDir.resolve("audit").toString())),
                durability.equals("sync") ? dev.signet.audit.AuditLog.Durability.SYNC
                        : dev.signet.audit.AuditLog.Durability.ASYNC,
                duration(a.get("retention"), Duration.ofDays(400)),
                every,
                duration(a.get("checkpoint-interval"), Duration.ofMinutes(1)));
    }

    private static Delegation delegation(Config c) {
        String mode = c.get("mode").asString().orElse("direct");
        return switch (mode) {
            case "direct" -> null;
            case "delegated" -> new Delegation(
                    algorithm(c.get("delegation.algorithm").asString().orElse("ES256"), "signet.delegation.algorithm"),
                    duration(c.get("delegation.lifetime"), Duration.ofHours(1)),
                    c.get("delegation.wrapping-key").asString().filter(k -> !k.isBlank()).orElse(null));
            default -> throw new SignetException(Code.INVALID_ARGUMENT,
                    "signet.mode must be 'direct' or 'delegated', not '" + mode + "'");
        };
    }

    /** Unset keys take {@link RotationPolicy}'s defaults or values derived from the others. */
    private static RotationPolicy rotation(Config r, String backendType) {
        RotationPolicy.Builder b = RotationPolicy.builder();
        if ("kms".equals(backendType)) {
            // ScheduleKeyDeletion's own 7-30 day window is the grace: destroying schedules, it does not delete.
            b.destroyGrace(java.time.Duration.ZERO);
        }
        optionalDuration(r.get("destroy-grace")).ifPresent(b::destroyGrace);
        r.get("max-published").asInt().ifPresent(b::maxPublished);
        r.get("algorithm").asString().map(a -> algorithm(a, "signet.rotation.algorithm")).ifPresent(b::algorithm);
        optionalDuration(r.get("period")).ifPresent(b::rotationPeriod);
        optionalDuration(r.get("prepublish-lead")).ifPresent(b::prepublishLead);
        optionalDuration(r.get("max-token-ttl")).ifPresent(b::maxTokenTtl);
        optionalDuration(r.get("clock-skew")).ifPresent(b::clockSkew);
        optionalDuration(r.get("jwks-max-age")).ifPresent(b::jwksMaxAge);
        optionalDuration(r.get("retention")).ifPresent(b::retention);
        optionalDuration(r.get("check-interval")).ifPresent(b::checkInterval);
        try {
            return b.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.rotation: " + e.getMessage());
        }
    }

    /** Null when absent or blank. */
    private static CredentialHash credentialHash(Config node) {
        String text = node.asString().filter(v -> !v.isBlank()).orElse(null);
        try {
            return text == null ? null : CredentialHash.parse(text);
        } catch (SignetException | IllegalArgumentException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, node.key() + ": " + e.getMessage());
        }
    }

    private static SigningAlgorithm algorithm(String name, String key) {
        try {
            return SigningAlgorithm.parse(name);
        } catch (SignetException | IllegalArgumentException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + ": " + e.getMessage());
        }
    }

    private static java.util.Optional<Duration> optionalDuration(Config node) {
        return node.exists() ? java.util.Optional.of(duration(node, null)) : java.util.Optional.empty();
    }

    private static List<Minter> minters(Config list) {
        List<Config> nodes = list.asNodeList().orElse(List.of());
        if (nodes.isEmpty()) {
            throw new SignetException(Code.INVALID_ARGUMENT, "signet.minters must list at least one minter");
        }
        return nodes.stream().map(m -> {
            String name = required(m, "name");
            MinterPolicy policy;
            try {
                policy = new MinterPolicy(
                        new HashSet<>(m.get("audiences").asList(String.class).orElse(List.of())),
                        m.get("resources").asList(String.class).orElse(List.of()),
                        new HashSet<>(m.get("actions").asList(String.class).orElse(List.of())),
                        duration(m.get("max-ttl"), Duration.ofMinutes(10)),
                        new MinterPolicy.Delegation(
                                m.get("delegation.enabled").asBoolean().orElse(MinterPolicy.Delegation.DEFAULT.enabled()),
                                m.get("delegation.max-depth").asInt().orElse(MinterPolicy.Delegation.DEFAULT.maxDepth()),
                                m.get("delegation.allow-unbound").asBoolean().orElse(MinterPolicy.Delegation.DEFAULT.allowUnbound())),
                        rateLimit(m));
            } catch (SignetException e) {
                // Patterns are checked here, at load, so a policy the grammar refuses never starts (grammar/README.md).
                throw new SignetException(Code.INVALID_ARGUMENT, m.key() + " (" + name + "): " + e.getMessage());
            }
            var cert = clientCertificate(m.get("client-certificate"));
            CredentialHash credential = credentialHash(m.get("credential-hash"));
            if (credential == null && cert == null) {
                throw new SignetException(Code.INVALID_ARGUMENT, m.key() + " (" + name + ") needs credential-hash,"
                        + " client-certificate, or both");
            }
            return new Minter(name, credential, cert, policy);
        }).toList();
    }

    /** {@code rate} (tokens a second) and {@code burst} (defaults to the rate, at least 1); absent: unlimited. */
    private static dev.signet.issuance.RateLimit rateLimit(Config m) {
        if (!m.get("rate").exists()) {
            if (m.get("burst").exists()) {
                throw new SignetException(Code.INVALID_ARGUMENT, "burst needs a rate (tokens per second) beside it");
            }
            return null;
        }
        double rate = number(m.get("rate"));
        double burst = m.get("burst").exists() ? number(m.get("burst")) : Math.max(1, rate);
        return new dev.signet.issuance.RateLimit(rate, burst);
    }

    private static double number(Config node) {
        String text = node.asString().get().strip();
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, node.name() + " must be a number, not '" + text + "'");
        }
    }

    /** Durations are whole seconds ({@code 600}) or ISO-8601 ({@code PT10M}). */
    static Duration duration(Config node, Duration fallback) {
        if (!node.exists()) {
            return fallback;
        }
        String text = node.asString().get().strip();
        try {
            return text.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(text))
                    : Duration.parse(text);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new SignetException(Code.INVALID_ARGUMENT,
                    node.key() + " must be seconds or an ISO-8601 duration like PT10M, not '" + text + "'");
        }
    }

    private static String required(Config c, String key) {
        return c.get(key).asString().filter(s -> !s.isBlank()).orElseThrow(() ->
                new SignetException(Code.INVALID_ARGUMENT, c.key() + "." + key + " is required"));
    }

    @Override
    public String toString() {
        return "SignetConfig[issuer=" + issuer + ", port=" + port + ", adminPort=" + adminPort + ", backend="
                + backendType + ", minters=" + minters + "]";
    }
}
