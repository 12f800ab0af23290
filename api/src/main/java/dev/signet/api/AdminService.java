package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.rotation.KeyRing;
import dev.signet.signer.KeyBackend;
import dev.signet.signer.SignetException;
import dev.signet.signer.SignetException.Code;
import dev.signet.signer.policy.CredentialHash;
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

/** The admin socket's {@code /v1/keys}: every key, its state and its next transitions. */
final class AdminService implements HttpService {

    private final CredentialHash adminCredential;
    private final KeyRing keyRing;
    private final KeyBackend backend;

    AdminService(CredentialHash adminCredential, KeyRing keyRing, KeyBackend backend) {
        this.adminCredential = adminCredential;
        this.keyRing = keyRing;
        this.backend = backend;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/keys", this::listKeys)
                .any("/keys", SignetServer::methodNotAllowed);
    }

    private void authenticate(ServerRequest req) {
        String presented = RequestBodies.bearer(req);
        if (presented == null || !adminCredential.matches(presented)) {
            throw new SignetException(Code.UNAUTHENTICATED, "an admin credential is required");
        }
    }

    private void listKeys(ServerRequest req, ServerResponse res) {
        authenticate(req);
        Map<String, Object> backendInfo = new LinkedHashMap<>();
        backendInfo.put("type", backend.type());
        backendInfo.put("hardware_protected", backend.hardwareProtected());
        backend.degraded().ifPresent(d -> backendInfo.put("degraded", d));
        List<Map<String, Object>> keys = keyRing.describe().stream().map(AdminService::json).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("backend", backendInfo);
        body.put("keys", keys);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(JSONObjectUtils.toJSONString(body).getBytes(StandardCharsets.UTF_8));
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
        return m;
    }

    private static void put(Map<String, Object> m, String name, Instant t) {
        if (t != null) {
            m.put(name, t.toString());
        }
    }
}
