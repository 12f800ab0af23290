package dev.signet.api;

import dev.signet.issuance.PeerIdentity;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.observe.health.HealthObserverConfig;
import io.helidon.webserver.http.ServerRequest;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * TLS on the public and admin sockets, each optional: the reloading material, its polling, the expiry metric
 * {@code signet.tls.certificate.expiry.seconds} (per socket) and the {@code tls} readiness detail.
 */
final class TlsSockets implements AutoCloseable {

    // The gauge is registered once per JVM; it reads whichever server is current for its socket.
    private static final Map<String, ServingTls> CURRENT = new ConcurrentHashMap<>();

    final ServingTls publicTls;
    final ServingTls adminTls;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;

    private TlsSockets(ServingTls publicTls, ServingTls adminTls, Clock clock, ScheduledExecutorService scheduler) {
        this.publicTls = publicTls;
        this.adminTls = adminTls;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /**
     * Loads both sockets' material and polls it for changes on {@code scheduler} (which this object then owns);
     * a null scheduler polls on one daemon thread of its own.
     *
     * @throws dev.signet.spi.SignetException INVALID_ARGUMENT if a socket's files cannot be loaded
     */
    static TlsSockets start(SignetConfig.Tls tls, Clock clock, Function<String, String> env,
                            ScheduledExecutorService scheduler) {
        ServingTls pub = tls.publicSocket() == null ? null : new ServingTls(tls.publicSocket(), clock, env);
        ServingTls admin = tls.adminSocket() == null ? null : new ServingTls(tls.adminSocket(), clock, env);
        if (pub == null && admin == null) {
            return new TlsSockets(null, null, clock, null);
        }
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "signet-tls-reload");
                t.setDaemon(true);
                return t;
            });
        }
        TlsSockets sockets = new TlsSockets(pub, admin, clock, scheduler);
        sockets.register("public", pub);
        sockets.register(SignetServer.ADMIN_SOCKET, admin);
        return sockets;
    }

    private void register(String socket, ServingTls tls) {
        if (tls == null) {
            CURRENT.remove(socket);
            return;
        }
        tls.pollOn(scheduler);
        CURRENT.put(socket, tls);
        Metrics.globalRegistry().getOrCreate(Gauge.builder("signet.tls.certificate.expiry.seconds",
                        () -> {
                            ServingTls current = CURRENT.get(socket);
                            return current == null ? Double.NaN
                                    : (double) java.time.Duration.between(clock.instant(), current.expires()).toSeconds();
                        })
                .tags(java.util.List.of(Tag.create("socket", socket)))
                .description("Seconds until the serving TLS certificate expires"));
    }

    void addHealth(HealthObserverConfig.Builder health) {
        if (publicTls != null || adminTls != null) {
            health.addCheck(this::health, HealthCheckType.READINESS, "tls");
        }
    }

    private HealthCheckResponse health() {
        HealthCheckResponse.Builder b = HealthCheckResponse.builder().status(true);
        detail(b, "public", publicTls);
        detail(b, SignetServer.ADMIN_SOCKET, adminTls);
        return b.build();
    }

    private static void detail(HealthCheckResponse.Builder b, String socket, ServingTls tls) {
        if (tls != null) {
            tls.health().details().forEach((k, v) -> b.detail(socket + "." + k, v));
        }
    }

    /** The verified client certificate of a public-socket request, re-checked against the current anchors. */
    PeerIdentity publicPeer(ServerRequest req) {
        return peer(publicTls, req);
    }

    PeerIdentity adminPeer(ServerRequest req) {
        return peer(adminTls, req);
    }

    private static PeerIdentity peer(ServingTls tls, ServerRequest req) {
        if (tls == null || !req.isSecure()) {
            return null;
        }
        return tls.identify(req.remotePeer());
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        CURRENT.values().removeIf(t -> t == publicTls || t == adminTls);
    }
}
