package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;
import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.ReplicaId;
import dev.signet.spi.KeyBackend;
import dev.signet.store.postgres.PostgresLifecycleStore;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin socket's {@code /v1/keys}: every key with its state and next transitions, and the operator
 * verbs that match the lifecycle transitions — {@code prepare}, {@code rotate}, {@code KID/activate},
 * {@code KID/retire}, {@code KID/revoke}, {@code KID/destroy?now=true}. Each verb answers with the new key list.
 */
final class AdminService implements HttpService {

    private static final System.Logger LOG = System.getLogger(AdminService.class.getName());

    private final AdminAuthentication admins;
    private final ReplicaId replica;
    private final LifecycleStore store;
    private final KeyRing keyRing;
    private final MasterKeyRing masters;
    private final boolean delegated;
    private final KeyBackend backend;
    private final AuditTrail audit;

    /**
     * @param keyRing   the keys tokens are signed with and the JWKS publishes
     * @param masters   the backend keys, which the operator verbs act on ({@code keyRing} itself in direct mode)
     * @param delegated true when {@code keyRing} signs with subkeys certified by {@code masters}
     */
    AdminService(AdminAuthentication admins, ReplicaId replica, LifecycleStore store, KeyRing keyRing,
                 MasterKeyRing masters, boolean delegated, KeyBackend backend, AuditTrail audit) {
        this.admins = admins;
        this.replica = replica;
        this.store = store;
        this.keyRing = keyRing;
        this.masters = masters;
        this.delegated = delegated;
        this.backend = backend;
        this.audit = audit;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/keys", (req, res) -> {
                    authenticate(req);
                    send(res, keyRing.describe());
                })
                .post("/keys/prepare", (req, res) -> verb(req, res, "prepare", null, k -> masters.prepare()))
                .post("/keys/rotate", (req, res) -> verb(req, res, "rotate", null, k -> masters.rotate()))
                .post("/keys/{kid}/activate", (req, res) -> verb(req, res, "activate", kid(req), masters::activate))
                .post("/keys/{kid}/retire", (req, res) -> verb(req, res, "retire", kid(req), masters::retire))
                .post("/keys/{kid}/revoke", (req, res) -> verb(req, res, "revoke", kid(req), masters::revoke))
                .post("/keys/{kid}/destroy", (req, res) -> verb(req, res, "destroy --now", kid(req),
                        kid -> destroyNow(req, kid)))
                .any("/keys", Problems.methodNotAllowed("GET"));
    }

    /**
     * A revoked key is destroyed after its journaled destroy-after time; {@code ?now=true} says the operator
     * wants it gone at once, which cannot be undone.
     */
    private List<KeyRing.KeyView> destroyNow(ServerRequest req, String kid) {
        if (!"true".equals(req.query().first("now").orElse(""))) {
            throw new SignetException(Code.INVALID_ARGUMENT, "destroy needs ?now=true: a revoked key is destroyed"
                    + " on its own after rotation.destroy-grace; now=true destroys it at once, irreversibly");
        }
        return masters.destroyNow(kid);
    }

    private static String kid(ServerRequest req) {
        return req.path().pathParameters().get("kid");
    }

    private void verb(ServerRequest req, ServerResponse res, String name, String kid,
                      java.util.function.Function<String, List<KeyRing.KeyView>> action) {
        authenticate(req);
        String from = req.remotePeer().host();
        AuditEvent requested = AuditEvent.of("operator").put("verb", "keys " + name).put("kid", kid)
                .put("from", from).put("by", "admin").put("phase", "requested").put("request_id", RequestId.of(req))
                .build();
        if (name.equals("revoke")) {
            try { // the compromise response is never refused, not even by a failing audit trail
                audit.append(requested).await();
            } catch (SignetException e) {
                LOG.log(System.Logger.Level.ERROR, "admin: revoke " + kid + " proceeds unaudited: " + e.getMessage());
            }
        } else {
            audit.append(requested).await(); // fail closed: no unrecorded key operation
        }
        action.apply(kid);
        LOG.log(System.Logger.Level.WARNING, "admin: keys " + name + (kid == null ? "" : " " + kid) + " done (request "
                + RequestId.of(req) + ")");
        try {
            audit.append(AuditEvent.of("operator").put("verb", "keys " + name).put("kid", kid).put("from", from)
                    .put("by", "admin").put("phase", "done").put("request_id", RequestId.of(req)).build());
        } catch (SignetException e) {
            LOG.log(System.Logger.Level.ERROR, "admin: keys " + name + " done but not audited: " + e.getMessage());
        }
        if (delegated) {
            keyRing.tick(); // subkeys follow their masters at once (a revoked master takes its subkeys along)
        }
        send(res, keyRing.describe());
    }

    private void authenticate(ServerRequest req) {
        admins.check(req);
    }

    private void send(ServerResponse res, List<KeyRing.KeyView> views) {
        Map<String, Object> backendInfo = new LinkedHashMap<>();
        backendInfo.put("type", backend.type());
        backendInfo.put("hardware_protected", backend.hardwareProtected());
        backend.degraded().ifPresent(d -> backendInfo.put("degraded", d));
        List<Map<String, Object>> keys = views.stream().map(AdminService::json).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("replica", replica.value());
        body.put("backend", backendInfo);
        body.put("store", storeInfo());
        body.put("keys", keys);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(JSONObjectUtils.toJSONString(body).getBytes(StandardCharsets.UTF_8));
    }

    /** With PostgreSQL: the journal's version and writer, the lease holder, and each replica's last read. */
    private Map<String, Object> storeInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", store instanceof PostgresLifecycleStore ? "postgres" : "file");
        store.degraded().ifPresent(d -> m.put("degraded", d));
        if (store instanceof PostgresLifecycleStore pg) {
            try {
                PostgresLifecycleStore.Status s = pg.status();
                m.put("journal_version", s.journalVersion());
                put(m, "written_at", s.writtenAt());
                if (s.writtenBy() != null) {
                    m.put("written_by", s.writtenBy());
                }
                m.put("lease_holder", s.leaseHolder() == null ? "none" : s.leaseHolder());
                m.put("lease_epoch", s.leaseEpoch());
                m.put("replicas", s.replicas().stream().map(r -> {
                    Map<String, Object> read = new LinkedHashMap<>();
                    read.put("replica", r.replica());
                    read.put("journal_version", r.journalVersion());
                    read.put("read_at", r.readAt().toString());
                    return read;
                }).toList());
            } catch (SignetException e) {
                m.put("degraded", e.getMessage());
            }
        }
        return m;
    }

    private static Map<String, Object> json(KeyRing.KeyView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kid", v.kid());
        m.put("alg", v.algorithm());
        m.put("state", v.state());
        put(m, "created", v.created());
        put(m, "activates", v.activates());
        put(m, "retires", v.retires());
        put(m, "unpublishes", v.unpublishes());
        put(m, "destroys", v.destroys());
        return m;
    }

    private static void put(Map<String, Object> m, String name, Instant t) {
        if (t != null) {
            m.put(name, t.toString());
        }
    }
}
