package dev.signet.api;

import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.ReplicaId;
import dev.signet.rotation.RotatingKeyRing;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.issuance.Minters;
import dev.signet.audit.AuditTrail;
import dev.signet.issuance.Issuance;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.http.HttpException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import java.time.Clock;

/**
 * The HTTP server: the signing API and JWKS on the public socket; keys, health and metrics on the
 * separate {@value #ADMIN_SOCKET} socket, so the admin surface can stay on a private interface.
 */
public final class SignetServer implements AutoCloseable {

    public static final String ADMIN_SOCKET = "admin";

    private final WebServer server;

    private SignetServer(WebServer server) {
        this.server = server;
    }

    /** Starts listening; ports of 0 pick free ones (see {@link #port()}, {@link #adminPort()}). */
    /**
     * @param keyRing the keys tokens are signed with and the JWKS publishes
     * @param masters the backend keys' lifecycle, which the operator verbs act on (the same ring in direct mode)
     */
    public static SignetServer start(SignetConfig config, ReplicaId replica, KeyBackend backend,
                                     LifecycleStore store, KeyRing keyRing, RotatingKeyRing masters,
                                     AuditTrail audit, Clock clock) {
        Minters minters = new Minters(config.minters());
        Issuance issuance = new Issuance(config.issuer(), keyRing, clock, audit);
        ObserveFeature observe = ObserveFeature.builder()
                .sockets(java.util.List.of(ADMIN_SOCKET))
                .addObserver(HealthObserver.builder()
                        .details(true)
                        .addCheck(() -> backendHealth(backend), HealthCheckType.READINESS, "backend")
                        .addCheck(() -> auditHealth(audit), HealthCheckType.READINESS, "audit")
                        .addCheck(() -> storeHealth(config, replica, store), HealthCheckType.READINESS, "store")
                        .build())
                .addObserver(MetricsObserver.create())
                .build();
        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                // Responses go out in more than one write; Nagle plus delayed ACKs would add ~40 ms.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .directHandlers(Problems.directHandlers())
                .addFeature(observe)
                .routing(r -> publicRouting(r, minters, keyRing, issuance, audit, config))
                .putSocket(ADMIN_SOCKET, s -> s.host(config.adminHost()).port(config.adminPort())
                        .connectionOptions(o -> o.tcpNoDelay(true)).directHandlers(Problems.directHandlers()))
                .routing(ADMIN_SOCKET, r -> adminRouting(r, config, replica, store, keyRing, masters,
                        backend))
                .build()
                .start();
        return new SignetServer(server);
    }

    static void publicRouting(HttpRouting.Builder r, Minters minters, KeyRing keyRing, Issuance issuance,
                              AuditTrail audit, SignetConfig config) {
        r.register("/v1/tokens", new TokenService(minters, issuance, audit, config.maxBodyBytes(), config.maxBatch()))
                .register("/.well-known", new JwksService(keyRing, config.issuer()))
                .any(SignetServer::notFound);
        errors(r);
    }

    static void adminRouting(HttpRouting.Builder r, SignetConfig config, ReplicaId replica, LifecycleStore store,
                             KeyRing keyRing,
                             RotatingKeyRing masters, KeyBackend backend) {
        r.register("/v1", new AdminService(config.adminCredential(), replica, store, keyRing, masters,
                backend));
        errors(r);
    }

    private static void errors(HttpRouting.Builder r) {
        r.error(SignetException.class, (req, res, e) -> Problems.send(res, e))
                .error(HttpException.class, (req, res, e) -> Problems.send(res, fromHttp(e)))
                .error(Throwable.class, (req, res, e) -> Problems.sendUnexpected(res, e));
    }

    /** Helidon's own 4xx (bad headers, bad URIs) keep their status class and get a problem body. */
    private static SignetException fromHttp(HttpException e) {
        int code = e.status().code();
        Code c = code == 413 ? Code.PAYLOAD_TOO_LARGE : code == 404 ? Code.NOT_FOUND
                : code >= 400 && code < 500 ? Code.MALFORMED : Code.INTERNAL;
        return new SignetException(c, code < 500 ? e.getMessage() : "internal error");
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

    static void notFound(ServerRequest req, ServerResponse res) {
        throw new SignetException(Code.NOT_FOUND, "no such resource: " + req.prologue().uriPath().path());
    }

    static void methodNotAllowed(ServerRequest req, ServerResponse res) {
        res.header(io.helidon.http.HeaderNames.ALLOW, "POST");
        res.status(io.helidon.http.Status.METHOD_NOT_ALLOWED_405);
        res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE);
        res.send(("{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,\"detail\":\""
                + req.prologue().method().text() + " is not allowed here\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return server.port(ADMIN_SOCKET);
    }

    @Override
    public void close() {
        server.stop();
    }
}
