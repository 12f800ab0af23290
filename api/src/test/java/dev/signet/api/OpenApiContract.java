package dev.signet.api;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a real exchange (request and response) against the socket's OpenAPI document with networknt's JSON Schema
 * validator (OpenAPI 3.1 dialect): the path, method and status must be documented, the response's media type must
 * be one the document lists, and its body must validate against that schema; a request body that succeeded must
 * validate against the request schema. {@link TestDaemon} runs it on every exchange the api tests make, so a
 * change that the document does not describe fails the test that made it.
 *
 * <p>Undocumented paths may only answer 404, and documented paths an undocumented method only 404 or 405, each
 * with a problem body: that is the documents' blanket rule, which OpenAPI cannot express per path.
 */
final class OpenApiContract {

    enum Socket {
        PUBLIC("public.yaml"), ADMIN("admin.yaml");

        final String resource;

        Socket(String resource) {
            this.resource = resource;
        }
    }

    private static final Map<Socket, OpenApiContract> LOADED = new ConcurrentHashMap<>();
    private static final Set<String> METHODS = Set.of("get", "head", "post", "put", "delete", "patch", "options");

    private final Socket socket;
    private final JsonNode doc;
    private final SchemaRegistry registry = SchemaRegistry.withDialect(Dialects.getOpenApi31());
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    private OpenApiContract(Socket socket) {
        this.socket = socket;
        try (InputStream in = OpenApiContract.class.getResourceAsStream("/openapi/" + socket.resource)) {
            doc = YAMLMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static OpenApiContract of(Socket socket) {
        return LOADED.computeIfAbsent(socket, OpenApiContract::new);
    }

    JsonNode document() {
        return doc;
    }

    /** One exchange as the test saw it; bodies as text, content types as sent (null when absent). */
    record Exchange(String method, URI uri, String requestContentType, String requestBody, int status,
                    String contentType, String body, Map<String, List<String>> headers) {
        Exchange(String method, URI uri, String requestContentType, String requestBody, int status,
                 String contentType, String body) {
            this(method, uri, requestContentType, requestBody, status, contentType, body, Map.of());
        }

        /** A response header's first value, by case-insensitive name; null when absent. */
        String header(String name) {
            for (var h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
                    return h.getValue().getFirst();
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return method + " " + uri.getRawPath() + " -> " + status + (contentType == null ? "" : " " + contentType);
        }
    }

    /** @throws AssertionError naming what the document does not say, and the file to fix */
    void assertConforms(Exchange e, String issuerPath) {
        List<String> violations = violations(e, issuerPath);
        if (!violations.isEmpty()) {
            throw new AssertionError("the " + socket.name().toLowerCase(Locale.ROOT) + " socket's OpenAPI document "
                    + "(api/src/main/resources/openapi/" + socket.resource + ") does not describe " + e + ": "
                    + String.join("; ", violations) + "\nbody: " + abbreviate(e.body()));
        }
    }

    List<String> violations(Exchange e, String issuerPath) {
        List<String> out = new ArrayList<>();
        String path = templatePath(normalize(e.uri().getRawPath(), issuerPath));
        if (path == null) {
            if (e.status() != 404) {
                out.add("the path is undocumented, so it may only answer 404");
            }
            problemBody(e, out);
            return out;
        }
        String pointer = "/paths/" + escape(path);
        JsonNode item = resolve(doc.at(pointer));
        pointer = refOr(doc.at(pointer), pointer);
        String method = e.method().toLowerCase(Locale.ROOT);
        JsonNode op = item.get(method);
        if (op == null) {
            if (e.status() != 404 && e.status() != 405) {
                out.add(e.method() + " is undocumented on " + path + ", so it may only answer 404 or 405");
            }
            problemBody(e, out);
            return out;
        }
        String opPointer = pointer + "/" + method;
        String code = Integer.toString(e.status());
        JsonNode responses = op.path("responses");
        String key = responses.has(code) ? code : responses.has(code.charAt(0) + "XX") ? code.charAt(0) + "XX" : null;
        if (key == null) {
            out.add("status " + code + " is undocumented for " + e.method() + " " + path);
            return out;
        }
        String resPointer = opPointer + "/responses/" + key;
        JsonNode response = resolve(doc.at(resPointer));
        resPointer = refOr(doc.at(resPointer), resPointer);
        headers(e, resPointer, response, out);
        JsonNode content = response.get("content");
        boolean hasBody = e.body() != null && !e.body().isEmpty();
        if (content == null) {
            if (hasBody) {
                out.add("status " + code + " is documented without a body, but one came");
            }
        } else if (hasBody) {
            String type = mediaType(e.contentType());
            if (type == null || !content.has(type)) {
                out.add("media type " + type + " is not among " + names(content) + " for status " + code);
            } else {
                validate(resPointer + "/content/" + escape(type) + "/schema", type, e.body(), "response", out);
            }
        } else if (!"head".equals(method) && e.status() != 304) {
            out.add("status " + code + " is documented with a body, but none came");
        }
        if (e.status() / 100 == 2 && e.requestBody() != null && !e.requestBody().isEmpty()) {
            JsonNode requestContent = resolve(op.path("requestBody")).get("content");
            String type = mediaType(e.requestContentType());
            if (requestContent == null || type == null || !requestContent.has(type)) {
                out.add("the request's media type " + type + " is undocumented, yet it succeeded");
            } else {
                String body = "application/x-www-form-urlencoded".equals(type) ? formAsJson(e.requestBody())
                        : e.requestBody();
                validate(opPointer + "/requestBody/content/" + escape(type) + "/schema", "application/json", body, "request",
                        out);
            }
        }
        return out;
    }

    /** Headers the response documents: a required one must be there, and each one there must fit its schema. */
    private void headers(Exchange e, String resPointer, JsonNode response, List<String> out) {
        JsonNode headers = response.get("headers");
        if (headers == null) {
            return;
        }
        for (String name : headers.propertyNames()) {
            String pointer = resPointer + "/headers/" + escape(name);
            JsonNode header = resolve(headers.get(name));
            pointer = refOr(headers.get(name), pointer);
            String value = e.header(name);
            if (value == null) {
                if (header.path("required").asBoolean(false)) {
                    out.add("the required header " + name + " is missing");
                }
                continue;
            }
            boolean numeric = "integer".equals(header.path("schema").path("type").asString(""))
                    && value.matches("-?[0-9]{1,18}");
            validate(pointer + "/schema", numeric ? "application/json" : "text/plain", value, "header " + name, out);
        }
    }

    private void problemBody(Exchange e, List<String> out) {
        if (e.body() == null || e.body().isEmpty()) {
            return;
        }
        if (!"application/problem+json".equals(mediaType(e.contentType()))) {
            out.add("expected a problem+json body, got " + e.contentType());
            return;
        }
        validate("/components/schemas/Problem", "application/json", e.body(), "problem", out);
    }

    /** JSON media types validate the parsed body; any other body validates as one JSON string. */
    private void validate(String pointer, String type, String body, String what, List<String> out) {
        String text = type.equals("application/json") || type.endsWith("+json") ? body
                : JsonNodeFactory.instance.stringNode(body).toString();
        Schema schema = schemas.computeIfAbsent(pointer, p -> {
            Schema s = registry.getSchema(SchemaLocation.of("classpath:openapi/" + socket.resource + "#" + fragment(p)));
            s.initializeValidators();
            return s;
        });
        var errors = schema.validate(text, InputFormat.JSON,
                c -> c.executionConfig(x -> x.formatAssertionsEnabled(true)));
        for (var err : errors) {
            out.add(what + " body against " + pointer + ": " + err);
        }
    }

    /** "METHOD /template" for an exchange the document has an operation for, else null. */
    String operation(Exchange e, String issuerPath) {
        String path = templatePath(normalize(e.uri().getRawPath(), issuerPath));
        if (path == null) {
            return null;
        }
        String method = e.method().toLowerCase(Locale.ROOT);
        return resolve(doc.at("/paths/" + escape(path))).has(method) ? e.method() + " " + path : null;
    }

    /** Every operation the document describes, as "METHOD /template". */
    Set<String> operations() {
        Set<String> ops = new java.util.TreeSet<>();
        for (String path : doc.path("paths").propertyNames()) {
            JsonNode item = resolve(doc.path("paths").get(path));
            for (String m : item.propertyNames()) {
                if (METHODS.contains(m)) {
                    ops.add(m.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return ops;
    }

    /** The issuer's path prefix (and the RFC 8414 §3.1 suffix) maps to the documented root paths. */
    private static String normalize(String path, String issuerPath) {
        if (issuerPath == null || issuerPath.isEmpty()) {
            return path;
        }
        if (path.equals("/.well-known/oauth-authorization-server" + issuerPath)) {
            return "/.well-known/oauth-authorization-server";
        }
        return path.startsWith(issuerPath + "/") ? path.substring(issuerPath.length()) : path;
    }

    /** The document's path template that matches, exact paths before templated ones; null when none does. */
    String templatePath(String path) {
        JsonNode paths = doc.path("paths");
        if (paths.has(path)) {
            return path;
        }
        String[] segments = path.split("/", -1);
        for (String template : paths.propertyNames()) {
            String[] t = template.split("/", -1);
            if (t.length != segments.length) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < t.length && match; i++) {
                match = t[i].startsWith("{") ? !segments[i].isEmpty() : t[i].equals(segments[i]);
            }
            if (match) {
                return template;
            }
        }
        return null;
    }

    /** Follows a local {@code $ref} (path items and responses live under components). */
    private JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        return ref == null ? node : doc.at(ref.asString().substring(1));
    }

    private static String refOr(JsonNode node, String pointer) {
        JsonNode ref = node.get("$ref");
        return ref == null ? pointer : ref.asString().substring(1);
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    private static String formAsJson(String form) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            o.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return o.toString();
    }

    private static List<String> names(JsonNode content) {
        List<String> names = new ArrayList<>();
        content.propertyNames().forEach(names::add);
        return names;
    }

    /** RFC 6901 escaping of one reference token. */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** A JSON pointer as a URI fragment (RFC 6901 §6): braces of path templates percent-encoded. */
    private static String fragment(String pointer) {
        return pointer.replace("%", "%25").replace("{", "%7B").replace("}", "%7D");
    }

    private static String abbreviate(String s) {
        return s == null ? "(none)" : s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }
}
