package dev.signet.api;

import dev.signet.revocation.StatusLists;
import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.ReplicaId;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.issuance.Minters;
import dev.signet.audit.AuditTrail;
import dev.signet.issuance.Issuance;
import dev.signet.software.InMemorySigning;
import dev.signet.verifier.Signatures;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;

/**
 * The HTTP server: the signing API and JWKS on the public socket; keys, health and metrics on the
 * separate {@value #ADMIN_SOCKET} socket, so the admin surface can stay on a private interface.
 */
public final class SignetServer implements AutoCloseable {

    public static final String ADMIN_SOCKET = "admin";
    private static final System.Logger LOG = System.getLogger(SignetServer.class.getName());

    private final WebServer server;
    private final ReadDeadlines deadlines;
    private final TlsSockets tls;
    private final StatusSync statusSync;

    private SignetServer(WebServer server, ReadDeadlines deadlines, TlsSockets tls, StatusSync statusSync) {
        this.statusSync = statusSync;
        this.server = server;
        this.deadlines = deadlines;
        this.tls = tls;
    }

    /**
     * Starts listening; ports of 0 pick free ones (see {@link #port()}, {@link #adminPort()}).
     *
     * @param keyRing the keys tokens are signed with and the JWKS publishes
     * @param masters the backend keys' lifecycle, which the operator verbs act on (the same ring in direct mode)
     * @throws SignetException FAILED_PRECONDITION naming the socket (public or admin) that could not be bound, and why
     */
    public static SignetServer start(SignetConfig config, ReplicaId replica, KeyBackend backend,
                                     LifecycleStore store, KeyRing keyRing, MasterKeyRing masters,
                                     AuditTrail trail, Clock clock) {
        checkBindable("public", "signet.port", config.host(), config.port());
        checkBindable("admin", "signet.admin.port", config.adminHost(), config.adminPort());
        IssuanceWindow lastHour = new IssuanceWindow(clock);
        AuditTrail audit = ObservedAuditTrail.wrap(trail, lastHour);
        SignetMetrics.watch(keyRing, masters, backend, store, clock);
        Minters minters = new Minters(config.minters());
        // With PostgreSQL, replicas share rules and signed lists through it; alone, the data dir is enough.
        StatusLists statusLists = new StatusLists(config.issuer(), replica.value(),
                Daemon.issuerDir(config).resolve("status"),
                StatusLists.Settings.defaults(config.rotation().maxTokenTtl()), clock, () -> masters.signingSlot().key(),
                store instanceof dev.signet.store.postgres.PostgresLifecycleStore pg
                        ? pg.statuses(config.store().adoptAfter()) : null);
        if (config.audit() != null) {
            RevocationFacts.restore(statusLists, config.audit().dir().resolve(replica.value()),
                    config.rotation().maxTokenTtl(), clock);
        }
        Issuance issuance = new Issuance(config.issuer(), keyRing, clock, audit, statusLists);
        StatusSync statusSync = StatusSync.start(statusLists);
        ReadDeadlines deadlines = new ReadDeadlines(config.http().headerTimeout(), config.http().bodyTimeout());
        TlsSockets tls = TlsSockets.start(config.tls(), clock, System::getenv, null);
        var health = HealthObserver.builder()
                .details(true)
                .addCheck(() -> backendHealth(backend), HealthCheckType.READINESS, "backend")
                .addCheck(() -> auditHealth(audit), HealthCheckType.READINESS, "audit")
                .addCheck(() -> storeHealth(config, replica, store), HealthCheckType.READINESS, "store");
        tls.addHealth(health);
        ObserveFeature observe = ObserveFeature.builder()
                .sockets(java.util.List.of(ADMIN_SOCKET))
                .addObserver(health.build())
                .addObserver(MetricsObserver.create())
                .build();
        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .update(b -> listener(b, config.http(), deadlines, tls.publicTls))
                .addFeature(observe)
                .routing(r -> {
                    StatusListService.register(r, statusLists, config.issuer());
                    publicRouting(r, minters, keyRing, issuance, audit, config, deadlines, tls::publicPeer,
                            proofReplays(store, clock));
                })
                .putSocket(ADMIN_SOCKET, s -> listener(s.host(config.adminHost()).port(config.adminPort()),
                        config.http(), deadlines, tls.adminTls))
                .routing(ADMIN_SOCKET, r -> {
                    AdminAuthentication admins = new AdminAuthentication(config.adminCredential(),
                            config.tls().adminClientCertificate(), tls::adminPeer);
                    r.register("/v1/revocations", new RevocationService(admins, statusLists, audit, deadlines));
                    adminRouting(r, config, replica, store, keyRing, masters, backend, audit, admins);
                    r.register("/ui", new KeyTimelinePage(admins, new UiSessions(clock), config.issuer(), replica,
                            store, keyRing, masters, backend, lastHour, deadlines, clock));
                })
                .build()
                .start();
        if (!server.isRunning()) {
            statusSync.close();
            deadlines.close();
            tls.close();
            // Helidon logged the cause; say which socket in terms of the configuration.
            checkBindable("public", "signet.port", config.host(), config.port());
            checkBindable("admin", "signet.admin.port", config.adminHost(), config.adminPort());
            throw new SignetException(Code.FAILED_PRECONDITION, "the HTTP server did not start (public socket "
                    + config.host() + ":" + config.port() + ", admin socket " + config.adminHost() + ":"
                    + config.adminPort() + "); the log above has Helidon's reason");
        }
        return new SignetServer(server, deadlines, tls, statusSync);
    }

    /** What both sockets share: problem bodies for refused requests, read deadlines and connection bounds. */
    private static <B extends io.helidon.webserver.ListenerConfig.BuilderBase<?, ?>> B listener(
            B b, SignetConfig.HttpLimits limits, ReadDeadlines deadlines, ServingTls tls) {
        if (tls != null) {
            b.tls(tls.tls());
        }
        // Responses go out in more than one write; Nagle plus delayed ACKs would add ~40 ms.
        b.connectionOptions(o -> o.tcpNoDelay(true))
                .directHandlers(Problems.directHandlers())
                .addConnectionSelector(new Http10Refusal())
                .maxTcpConnections(limits.maxConnections())
                // Helidon closes a connection that has not started a request within this time (keep-alive idle
                // or a request line that trickles in); ReadDeadlines covers the headers and the body.
                .idleConnectionTimeout(limits.idleTimeout())
                .idleConnectionPeriod(limits.idleCheckPeriod())
                .addProtocol(Http1Config.builder().addReceiveListener(deadlines).build());
        return b;
    }

    /**
     * Fails fast, in the operator's terms, when a socket cannot be bound; Helidon would log and leave a server
     * that serves nothing. Port 0 (any free port) always binds.
     */
    private static void checkBindable(String which, String key, String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            throw new SignetException(Code.FAILED_PRECONDITION, "the " + which + " socket " + host + ":" + port
                    + " cannot be bound (" + e.getMessage() + "); stop what holds it or change " + key);
        }
    }

    /**
     * Where proof and actor-token jtis are remembered: in the PostgreSQL store, so every replica refuses a proof
     * another one accepted; with the file store, in this process (replicas on one host behind one endpoint do not
     * share it: RUNBOOK).
     */
    private static dev.signet.verifier.ProofReplays proofReplays(LifecycleStore store, Clock clock) {
        if (store instanceof dev.signet.store.postgres.PostgresLifecycleStore pg) {
            return pg.proofJtis()::firstUse;
        }
        return new dev.signet.verifier.ReplayCache(clock, 1_000_000);
    }

    /**
     * Who checks exchanged tokens' signatures: ES256 through the in-memory signer's native library (OpenSSL via FFM,
     * as {@link InMemorySigning} chooses it; {@code SIGNET_INMEMORY_SIGNER=bc} or no usable libcrypto leaves the
     * JDK), the rest through the JDK. The answers are the same (software's OpenSslVerificationPropertiesTest); which
     * one is in use is logged and is the gauge signet_exchange_verify_openssl (1 OpenSSL, 0 the JDK).
     */
    static Signatures exchangeSignatures() {
        java.util.Optional<dev.signet.software.P256Verifier> openssl = InMemorySigning.p256Verifier();
        Signatures signatures = openssl.map(v -> Signatures.withEs256(v::verify, v.description()))
                .orElseGet(() -> Signatures.withEs256(null, "JDK (" + InMemorySigning.choice().describe() + ")"));
        LOG.log(System.Logger.Level.INFO, "token exchange: " + signatures.description());
        io.helidon.metrics.api.Metrics.getOrCreate(io.helidon.metrics.api.Gauge.builder("signet.exchange.verify.openssl",
                        () -> openssl.isPresent() ? 1 : 0)
                .description("1 when token exchange checks ES256 signatures through OpenSSL (FFM), 0 through the JDK"));
        return signatures;
    }

    static void publicRouting(HttpRouting.Builder r, Minters minters, KeyRing keyRing, Issuance issuance,
                              AuditTrail audit, SignetConfig config, ReadDeadlines deadlines,
                              java.util.function.Function<io.helidon.webserver.http.ServerRequest,
                                      dev.signet.issuance.PeerIdentity> peers,
                              dev.signet.verifier.ProofReplays replays) {
        Admission admission = new Admission(config.http().maxInFlight(), config.http().maxParked(), audit::nobodyAtWork);
        audit.admission(admission::inFlight);
        // Admission before the access log: an overloaded refusal is counted, not logged (see Problems.overloaded).
        r.addFilter(RequestId::filter)
                .addFilter((chain, req, res) -> {
                    if (signing(req.prologue().uriPath().path())) {
                        admission.filter(chain, req, res);
                    } else {
                        chain.proceed();
                    }
                })
                .addFilter(AccessLog::filter)
                .register("/v1/tokens", new TokenService(minters, issuance, audit, config.maxBodyBytes(),
                        config.maxBatch(), deadlines, peers))
                .register(TokenExchangeService.PATH, new TokenExchangeService(new dev.signet.issuance.Exchange(issuance, minters, replays,
                        exchangeSignatures()), config.issuer(), config.maxBodyBytes(), deadlines));
        JwksService.register(r, keyRing, config.issuer());
        OpenApiService.register(r, "public.yaml");
        r.any(Problems::notFound);
        Problems.register(r);
    }

    /** The routes that sign, which {@link Admission} bounds; JWKS and status lists are always served. */
    private static boolean signing(String path) {
        return path.equals("/v1/tokens") || path.equals("/v1/tokens/batch") || path.equals(TokenExchangeService.PATH);
    }

    static void adminRouting(HttpRouting.Builder r, SignetConfig config, ReplicaId replica, LifecycleStore store,
                             KeyRing keyRing,
                             MasterKeyRing masters, KeyBackend backend, AuditTrail audit,
                             AdminAuthentication admins) {
        r.addFilter(RequestId::filter).addFilter(AccessLog::filter)
                .register("/v1", new AdminService(admins, replica, store, keyRing, masters,
                        config.delegation() != null, backend, audit));
        OpenApiService.register(r, "admin.yaml");
        Problems.register(r);
    }

    /** Readiness is DOWN while the audit trail cannot record: signing is refused then (fail closed). */
    private static HealthCheckResponse auditHealth(AuditTrail audit) {
        String failure = audit.failure();
        HealthCheckResponse.Builder b = HealthCheckResponse.builder().status(failure == null);
        if (failure != null) {
            b.detail("failing", failure);
        }
        return b.build();
    }

    /** DOWN while the journal store cannot be reached: signing goes on while the journal is fresh, changes wait. */
    private static HealthCheckResponse storeHealth(SignetConfig config, ReplicaId replica, LifecycleStore store) {
        var degraded = store.degraded();
        HealthCheckResponse.Builder b = HealthCheckResponse.builder()
                .status(degraded.isEmpty())
                .detail("type", config.store().type())
                .detail("replica", replica.value());
        degraded.ifPresent(d -> b.detail("degraded", d));
        return b.build();
    }

    private static HealthCheckResponse backendHealth(KeyBackend backend) {
        var degraded = backend.degraded();
        HealthCheckResponse.Builder b = HealthCheckResponse.builder()
                .status(degraded.isEmpty())
                .detail("type", backend.type())
                .detail("hardware_protected", backend.hardwareProtected());
        degraded.ifPresent(d -> b.detail("degraded", d));
        return b.build();
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return server.port(ADMIN_SOCKET);
    }

    /** The sockets' TLS, for tests that trigger a reload. */
    TlsSockets tls() {
        return tls;
    }

    @Override
    public void close() {
        statusSync.close();
        server.stop();
        deadlines.close();
        tls.close();
    }
}
