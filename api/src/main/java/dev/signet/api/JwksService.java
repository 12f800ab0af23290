package dev.signet.api;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.rotation.KeyRing;
import dev.signet.spi.Jwks;
import dev.signet.spi.SigningKey;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public documents verifiers read: the JWKS ({@code /.well-known/jwks.json}) and RFC 8414 authorization-server
 * metadata ({@code /.well-known/oauth-authorization-server}, with the issuer's path appended per RFC 8414 §3.1).
 * GET and HEAD only. Both bodies are rebuilt only when the published key set changes; the JWKS ETag is a hash of
 * its body. There is no {@code openid-configuration}: OpenID Discovery describes ID tokens and an authorization
 * endpoint, and Signet has neither (see the README).
 */
final class JwksService {

    static final String JWKS = "/.well-known/jwks.json";
    static final String METADATA = "/.well-known/oauth-authorization-server";

    private record Rendered(List<String> kids, byte[] jwks, String etag, byte[] metadata) {
    }

    private final KeyRing keyRing;
    private final String issuer;
    private volatile Rendered rendered = new Rendered(null, new byte[0], "", new byte[0]);

    private JwksService(KeyRing keyRing, String issuer) {
        this.keyRing = keyRing;
        this.issuer = issuer;
    }

    /**
     * Routes the documents of {@code issuer}: the JWKS at the root and, when the issuer has a path, under it too
     * (where {@code jwks_uri} points); the metadata where RFC 8414 puts it.
     */
    static void register(HttpRouting.Builder r, KeyRing keyRing, String issuer) {
        JwksService s = new JwksService(keyRing, issuer);
        String issuerPath = URI.create(issuer).getRawPath();
        route(r, JWKS, s::jwks);
        if (!issuerPath.isEmpty()) {
            route(r, issuerPath + JWKS, s::jwks);
        }
        route(r, METADATA + issuerPath, s::metadata);
    }

    private static void route(HttpRouting.Builder r, String path, Handler handler) {
        PathMatcher exact = PathMatchers.exact(path);
        r.route(Method.GET, exact, handler)
                .route(Method.HEAD, exact, handler)
                .route(m -> true, exact, Problems.methodNotAllowed("GET", "HEAD"));
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
        send(req, res, r.jwks());
    }

    /** Helidon 4.5 would send the body on HEAD too, desynchronising the connection: HEAD gets the headers only. */
    private static void send(ServerRequest req, ServerResponse res, byte[] body) {
        if (req.prologue().method() == Method.HEAD) {
            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
            res.send();
        } else {
            res.send(body);
        }
    }

    private void metadata(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=" + keyRing.jwksMaxAge().toSeconds());
        send(req, res, current().metadata());
    }

    private Rendered current() {
        List<SigningKey> keys = keyRing.published();
        List<String> kids = keys.stream().map(SigningKey::id).toList();
        Rendered r = rendered;
        if (!kids.equals(r.kids())) {
            List<JWK> jwks = keys.stream().map(Jwks::publicJwk).toList();
            byte[] body = new JWKSet(jwks).toString(true).getBytes(StandardCharsets.UTF_8);
            r = new Rendered(kids, body, etag(body), metadata(keys));
            rendered = r;
        }
        return r;
    }

    /**
     * RFC 8414 metadata with honest values. Signet has no authorization endpoint, so no response types; its one
     * OAuth endpoint is the RFC 8693 token exchange (no client authentication: the parent token and its DPoP proof
     * are the proof), so that is the only grant type, which also keeps the RFC's default ({@code authorization_code},
     * {@code implicit}) from applying. Minting ({@code /v1/tokens}) is Signet's own API, not an OAuth grant. The
     * algorithms are those of the keys published now (in delegated mode, master and subkeys); no registered name
     * means "algorithms of issued access tokens", so that one is Signet's own.
     */
    private byte[] metadata(List<SigningKey> keys) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer);
        doc.put("jwks_uri", issuer + JWKS);
        doc.put("token_endpoint", issuer + TokenExchangeService.PATH);
        doc.put("response_types_supported", List.of());
        doc.put("grant_types_supported", List.of(dev.signet.issuance.Exchange.GRANT_TYPE));
        doc.put("token_endpoint_auth_methods_supported", List.of("none"));
        doc.put("dpop_signing_alg_values_supported", dev.signet.verifier.Signatures.ALGORITHMS.stream()
                .map(a -> a.getName()).sorted().toList());
        doc.put("signet_token_signing_alg_values_supported",
                keys.stream().map(k -> k.algorithm().jwsName()).distinct().sorted().toList());
        return JSONObjectUtils.toJSONString(doc).getBytes(StandardCharsets.UTF_8);
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
