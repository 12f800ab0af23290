package dev.signet.issuance;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The signing API's request body: {@code {"sub", "aud", "ttl", "scope": [{"resource", "actions"}], "task", "cnf"}},
 * where {@code cnf} is exactly {@code {"jkt": "<RFC 7638 SHA-256 thumbprint>"}} and binds the token to that key.
 * Anything else is refused, reserved claims with a reason of their own, so a minter can never set them.
 * {@code aud} and each {@code resource} must be in Signet's grammar (grammar/README.md) before policy looks at them.
 */
public final class TokenRequests {

    static final Set<String> FIELDS = Set.of("sub", "aud", "ttl", "scope", "task", "cnf");
    static final Set<String> RESERVED = Set.of("iss", "iat", "nbf", "exp", "jti", "kid", "alg", "typ",
            "client_id", "authorization_details", "x5c", "jku", "act", "signet_parent_jti", "signet_depth", "signet_max_depth", "signet_prev");
    private static final int MAX_STRING = 1024;
    private static final int MAX_SCOPE = 64;

    private TokenRequests() {
    }

    /**
     * The requests of a {@code POST /v1/tokens/batch} body, each still to be parsed by {@link #parse}.
     *
     * @throws SignetException INVALID_ARGUMENT unless the body is {@code {"requests": [...]}} with 1 to maxBatch items
     */
    public static List<?> batchItems(Map<String, Object> body, int maxBatch) {
        if (body.size() != 1 || !(body.get("requests") instanceof List<?> requests)) {
            throw new SignetException(Code.INVALID_ARGUMENT, "a batch body is {\"requests\": [ ... ]} and nothing else");
        }
        if (requests.isEmpty() || requests.size() > maxBatch) {
            throw new SignetException(Code.INVALID_ARGUMENT,
                    "a batch holds between 1 and " + maxBatch + " requests, not " + requests.size());
        }
        return requests;
    }

    /** @throws SignetException INVALID_ARGUMENT naming the field at fault */
    public static TokenRequest parse(Map<String, Object> body) {
        for (String field : body.keySet()) {
            if (RESERVED.contains(field)) {
                throw invalid("'" + field + "' is a reserved claim that Signet sets itself");
            }
            if (!FIELDS.contains(field)) {
                throw invalid("unknown field '" + field + "'; allowed: sub, aud, ttl, scope, task, cnf");
            }
        }
        String sub = string(body, "sub");
        String aud = string(body, "aud");
        MinterPolicy.audience(aud);
        Object ttlValue = body.get("ttl");
        if (!(ttlValue instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw invalid("'ttl' must be a whole number of seconds");
        }
        long ttl = n.longValue();
        if (ttl <= 0) {
            throw invalid("'ttl' must be positive");
        }
        if (!(body.get("scope") instanceof List<?> scopeList) || scopeList.isEmpty()) {
            throw invalid("'scope' must be a non-empty list of {\"resource\", \"actions\"}");
        }
        if (scopeList.size() > MAX_SCOPE) {
            throw invalid("'scope' has more than " + MAX_SCOPE + " items");
        }
        List<ScopeItem> scope = new ArrayList<>();
        for (Object item : scopeList) {
            scope.add(scopeItem(item));
        }
        Optional<String> task = body.containsKey("task") ? Optional.of(string(body, "task")) : Optional.empty();
        Optional<String> jkt = body.containsKey("cnf") ? Optional.of(confirmation(body.get("cnf"))) : Optional.empty();
        return new TokenRequest(sub, aud, Duration.ofSeconds(ttl), scope, task, jkt);
    }

    /** {@code cnf} in exactly the shape {@code {"jkt": thumbprint}}: other confirmation methods are not Signet's. */
    private static String confirmation(Object cnf) {
        if (!(cnf instanceof Map<?, ?> map) || map.size() != 1 || !(map.get("jkt") instanceof String jkt)) {
            throw invalid("'cnf' must be {\"jkt\": \"<RFC 7638 SHA-256 thumbprint of the agent's public key>\"}");
        }
        if (!isThumbprint(jkt)) {
            throw invalid("'cnf.jkt' must be an RFC 7638 SHA-256 thumbprint: 43 base64url characters");
        }
        return jkt;
    }

    /** 43 base64url characters without padding: the encoding of a SHA-256 digest. */
    static boolean isThumbprint(String text) {
        if (text.length() != 43) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        // The last character carries 2 spare bits, which a canonical encoding leaves zero.
        return "AEIMQUYcgkosw048".indexOf(text.charAt(42)) >= 0;
    }

    private static ScopeItem scopeItem(Object item) {
        if (!(item instanceof Map<?, ?> map)) {
            throw invalid("each scope item must be an object {\"resource\", \"actions\"}");
        }
        for (Object key : map.keySet()) {
            if (!"resource".equals(key) && !"actions".equals(key)) {
                throw invalid("unknown scope field '" + key + "'; allowed: resource, actions");
            }
        }
        @SuppressWarnings("unchecked")
        String resource = string((Map<String, Object>) map, "resource");
        MinterPolicy.resource(resource);
        if (!(map.get("actions") instanceof List<?> actions) || actions.isEmpty()) {
            throw invalid("'actions' of resource '" + resource + "' must be a non-empty list of strings");
        }
        List<String> names = new ArrayList<>();
        for (Object a : actions) {
            if (!(a instanceof String s) || s.isBlank() || s.length() > MAX_STRING) {
                throw invalid("'actions' of resource '" + resource + "' must be non-empty strings");
            }
            names.add(s);
        }
        return new ScopeItem(resource, names);
    }

    private static String string(Map<String, Object> body, String field) {
        if (!(body.get(field) instanceof String s) || s.isBlank()) {
            throw invalid("'" + field + "' must be a non-empty string");
        }
        if (s.length() > MAX_STRING) {
            throw invalid("'" + field + "' is longer than " + MAX_STRING + " characters");
        }
        return s;
    }

    private static SignetException invalid(String message) {
        return new SignetException(Code.INVALID_ARGUMENT, message);
    }
}
