package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;
import dev.signet.revocation.StatusLists;
import dev.signet.revocation.StatusLists.Kind;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The admin socket's {@code /v1/revocations}: POST a rule naming exactly one of {@code jti}, {@code task},
 * {@code sub}, {@code client_id} (and an optional {@code reason}); 201 once the rule is journaled, with how many
 * live tokens it revoked. GET lists the rules in force.
 */
final class RevocationService implements HttpService {

    private static final int MAX_BODY = 4096;

    private final AdminAuthentication admins;
    private final StatusLists lists;
    private final AuditTrail audit;
    private final ReadDeadlines deadlines;

    RevocationService(AdminAuthentication admins, StatusLists lists, AuditTrail audit, ReadDeadlines deadlines) {
        this.admins = admins;
        this.lists = lists;
        this.audit = audit;
        this.deadlines = deadlines;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::revoke)
                .get("/", this::list)
                .any("/", Problems.methodNotAllowed("GET", "POST"));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        admins.check(req);
        RevocationRequest r = RevocationRequest.parse(RequestBodies.jsonObject(req, MAX_BODY, deadlines));
        Kind kind = r.kind();
        String value = r.value();
        String reason = r.reason();
        StatusLists.Rule rule = lists.revoke(kind, value, reason);
        try {
            audit.append(AuditEvent.of("operator").put("verb", "revoke").put(kind.claim, value).put("reason", reason)
                    .put("rule", rule.id()).put("covered", rule.covered()).put("from", req.remotePeer().host())
                    .put("by", "admin").put("request_id", RequestId.of(req)).build());
        } catch (SignetException e) {
            // the revocation is journaled and in force; a failing trail is reported through readiness
        }
        res.status(Status.CREATED_201);
        send(res, rule.json());
    }

    private void list(ServerRequest req, ServerResponse res) {
        admins.check(req);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("revocations", lists.rules().stream().map(StatusLists.Rule::json).toList());
        body.put("status_lists", lists.published().stream().map(lists::uri).toList());
        send(res, body);
    }

    private static void send(ServerResponse res, Map<String, Object> body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(JSONObjectUtils.toJSONString(body).getBytes(StandardCharsets.UTF_8));
    }
}
