package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.helidon.common.media.type.MediaType;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code GET /openapi}: the socket's OpenAPI 3.1 document ({@code openapi/public.yaml} or {@code openapi/admin.yaml}
 * on the class path), YAML unless {@code Accept} prefers JSON, as Helidon's OpenAPI feature serves it. The api tests
 * validate every exchange they make against these documents ({@code OpenApiContract}), so they stay true.
 */
final class OpenApiService {

    static final String PATH = "/openapi";
    static final MediaType YAML = MediaTypes.APPLICATION_YAML;

    private final byte[] yaml;
    /** Converted at the first JSON request: parsing the YAML at start cost the daemon's start-up 4% of its CPU. */
    private volatile byte[] json;

    private OpenApiService(String resource) {
        try (InputStream in = OpenApiService.class.getResourceAsStream("/openapi/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("openapi/" + resource + " is missing from the class path");
            }
            yaml = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] json() {
        byte[] j = json;
        if (j == null) {
            Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(new String(yaml, StandardCharsets.UTF_8));
            json = j = JSONObjectUtils.toJSONString(doc).getBytes(StandardCharsets.UTF_8);
        }
        return j;
    }

    static void register(HttpRouting.Builder r, String resource) {
        OpenApiService s = new OpenApiService(resource);
        r.get(PATH, (req, res) -> {
            boolean asJson = req.headers().bestAccepted(YAML, MediaTypes.APPLICATION_JSON)
                    .map(MediaTypes.APPLICATION_JSON::equals).orElse(false);
            res.header(HeaderNames.CONTENT_TYPE, asJson ? "application/json" : "application/yaml");
            res.header(HeaderNames.CACHE_CONTROL, "public, max-age=3600");
            res.send(asJson ? s.json() : s.yaml);
        }).any(PATH, Problems.methodNotAllowed("GET"));
    }
}
