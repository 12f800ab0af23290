package dev.signet.api;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.rotation.KeyRing;
import dev.signet.spi.Jwks;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /.well-known/jwks.json} and {@code /.well-known/openid-configuration}. The JWKS body is
 * rebuilt only when the published key set changes; its ETag is a hash of the body.
 */
final class JwksService implements HttpService {

    private record Rendered(List<String> kids, byte[] body, String etag) {
    }

    private final KeyRing keyRing;
    private final byte[] discovery;
    private volatile Rendered rendered = new Rendered(List.of(), new byte[0], "");

    JwksService(KeyRing keyRing, String issuer) {
        this.keyRing = keyRing;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer);
        doc.put("jwks_uri", issuer + "/.well-known/jwks.json");
        List<String> algs = Arrays.stream(SigningAlgorithm.values()).map(SigningAlgorithm::jwsName).toList();
        doc.put("id_token_signing_alg_values_supported", algs);
        doc.put("token_signing_alg_values_supported", algs);
        doc.put("subject_types_supported", List.of("public"));
        doc.put("response_types_supported", List.of("token"));
        this.discovery = JSONObjectUtils.toJSONString(doc).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/jwks.json", this::jwks)
                .get("/openid-configuration", this::discovery);
    }

    private void jwks(ServerRequest req, ServerResponse res) {
        Rendered r = current();
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=" + keyRing.jwksMaxAge().toSeconds());
        res.header(HeaderNames.ETAG, r.etag());
        boolean fresh = req.headers().first(HeaderNames.IF_NONE_MATCH)
                .map(v -> Arrays.stream(v.split(",")).map(String::strip)
                        .anyMatch(t -> t.equals(r.etag()) || t.equals("W/" + r.etag()) || t.equals("*")))
                .orElse(false);
        if (fresh) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/jwk-set+json");
        res.send(r.body());
    }

    private void discovery(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=" + keyRing.jwksMaxAge().toSeconds());
        res.send(discovery);
    }

    private Rendered current() {
        List<SigningKey> keys = keyRing.published();
        List<String> kids = keys.stream().map(SigningKey::id).toList();
        Rendered r = rendered;
        if (!r.kids().equals(kids)) {
            List<JWK> jwks = keys.stream().map(Jwks::publicJwk).toList();
            byte[] body = new JWKSet(jwks).toString(true).getBytes(StandardCharsets.UTF_8);
            r = new Rendered(kids, body, etag(body));
            rendered = r;
        }
        return r;
    }

    private static String etag(byte[] body) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(h, 16)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
