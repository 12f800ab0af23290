package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.issuance.Minter;
import dev.signet.issuance.Minters;
import dev.signet.issuance.MintedToken;
import dev.signet.audit.AuditTrail;
import dev.signet.issuance.Issuance;
import dev.signet.issuance.TokenRequests;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/tokens} and {@code POST /v1/tokens/batch}: minters authenticate here; {@link Issuance} decides and signs. */
final class TokenService implements HttpService {

    private final Minters minters;
    private final Issuance issuance;
    private final AuditTrail audit;
    private final long maxBodyBytes;
    private final int maxBatch;
    private final ReadDeadlines deadlines;
    private final java.util.function.Function<ServerRequest, dev.signet.issuance.PeerIdentity> peers;

    /** @param peers the verified client certificate of a request, re-checked per request; null when none */
    TokenService(Minters minters, Issuance issuance, AuditTrail audit, long maxBodyBytes, int maxBatch,
                 ReadDeadlines deadlines,
                 java.util.function.Function<ServerRequest, dev.signet.issuance.PeerIdentity> peers) {
        this.deadlines = deadlines;
        this.peers = peers;
        this.minters = minters;
        this.issuance = issuance;
        this.audit = audit;
        this.maxBodyBytes = maxBodyBytes;
        this.maxBatch = maxBatch;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::mintOne)
                .post("/batch", this::mintBatch)
                .any("/", Problems.methodNotAllowed("POST"))
                .any("/batch", Problems.methodNotAllowed("POST"));
    }

    private void mintOne(ServerRequest req, ServerResponse res) {
        Minter minter = authenticate(req);
        MintedToken token;
        try {
            token = issuance.mint(minter, () -> RequestBodies.jsonObject(req, maxBodyBytes, deadlines));
        } catch (SignetException e) {
            issuance.refused(minter, e);
            throw e;
        }
        res.status(Status.CREATED_201);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(json(token).getBytes(StandardCharsets.US_ASCII));
    }

    private void mintBatch(ServerRequest req, ServerResponse res) {
        Minter minter = authenticate(req);
        List<Object> minted;
        try {
            minted = issuance.mintAll(minter,
                    () -> TokenRequests.batchItems(RequestBodies.jsonObject(req, maxBodyBytes, deadlines), maxBatch));
        } catch (SignetException e) {
            issuance.refused(minter, e);
            throw e;
        }
        StringBuilder results = new StringBuilder(minted.size() * 700).append("{\"results\":[");
        for (Object result : minted) {
            if (result instanceof MintedToken token) {
                        results.append(json(token));
            } else {
                    results.append(JSONObjectUtils.toJSONString(
                        Map.of("problem", Problems.body((SignetException) result, RequestId.of(req)))));
            }
            results.append(',');
        }
        results.setCharAt(results.length() - 1, ']');
        results.append('}');
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(results.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Unauthenticated refusals are counted per source and reason, not recorded one by one (see AuditTrail). */
    private Minter authenticate(ServerRequest req) {
        try {
            return minters.authenticate(RequestBodies.bearer(req), peers.apply(req));
        } catch (SignetException e) {
            audit.countUnauthenticated(req.remotePeer().host(), e.code().name());
            throw e;
        }
    }

    /**
     * Written by hand, not by a JSON library: on the hot path, and every value is base64url or RFC 3339 text
     * that needs no escaping.
     */
    private static String json(MintedToken token) {
        return "{\"token\":\"" + token.token() + "\",\"kid\":\"" + token.kid() + "\",\"expires_at\":\""
                + token.expiresAt() + "\"}";
    }
}
