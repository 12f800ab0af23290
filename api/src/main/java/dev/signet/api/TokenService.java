package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import dev.signet.issuance.Minter;
import dev.signet.issuance.Minters;
import dev.signet.issuance.MintedToken;
import dev.signet.issuance.Issuance;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
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
    private final long maxBodyBytes;
    private final int maxBatch;
    private final Counter issued = Metrics.globalRegistry().getOrCreate(
            Counter.builder("signet.tokens.issued").description("Tokens signed"));
    private final Counter refused = Metrics.globalRegistry().getOrCreate(
            Counter.builder("signet.tokens.refused").description("Token requests refused (any reason)"));

    TokenService(Minters minters, Issuance issuance, long maxBodyBytes, int maxBatch) {
        this.minters = minters;
        this.issuance = issuance;
        this.maxBodyBytes = maxBodyBytes;
        this.maxBatch = maxBatch;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::mintOne)
                .post("/batch", this::mintBatch)
                .any("/", SignetServer::methodNotAllowed)
                .any("/batch", SignetServer::methodNotAllowed);
    }

    private void mintOne(ServerRequest req, ServerResponse res) {
        try {
            Minter minter = minters.authenticate(RequestBodies.bearer(req));
            MintedToken token = mint(minter, RequestBodies.jsonObject(req, maxBodyBytes));
            res.status(Status.CREATED_201);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            res.send(json(token).getBytes(StandardCharsets.US_ASCII));
        } catch (SignetException e) {
            refused.increment();
            throw e;
        }
    }

    private void mintBatch(ServerRequest req, ServerResponse res) {
        Minter minter = minters.authenticate(RequestBodies.bearer(req));
        Map<String, Object> body = RequestBodies.jsonObject(req, maxBodyBytes);
        if (body.size() != 1 || !(body.get("requests") instanceof List<?> requests)) {
            throw new SignetException(Code.INVALID_ARGUMENT, "a batch body is {\"requests\": [ ... ]} and nothing else");
        }
        if (requests.isEmpty() || requests.size() > maxBatch) {
            throw new SignetException(Code.INVALID_ARGUMENT,
                    "a batch holds between 1 and " + maxBatch + " requests, not " + requests.size());
        }
        StringBuilder results = new StringBuilder(requests.size() * 700).append("{\"results\":[");
        for (Object item : requests) {
            try {
                if (!(item instanceof Map<?, ?>)) {
                    throw new SignetException(Code.INVALID_ARGUMENT, "each batch request must be a JSON object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = (Map<String, Object>) item;
                results.append(json(mint(minter, fields)));
            } catch (SignetException e) {
                refused.increment();
                results.append(JSONObjectUtils.toJSONString(Map.of("problem", Problems.body(e))));
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

    private MintedToken mint(Minter minter, Map<String, Object> fields) {
        MintedToken token = issuance.mint(minter, fields);
        issued.increment();
        return token;
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
