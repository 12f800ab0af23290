package dev.signet.api;

import dev.signet.revocation.StatusLists;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.net.URI;
import java.util.Arrays;

/**
 * {@code GET /v1/status-lists/{id}} on the public socket (and under the issuer's path, where the tokens' {@code uri}
 * points): the status list token, {@code application/statuslist+jwt}, cached by verifiers for its {@code ttl}.
 */
final class StatusListService {

    private StatusListService() {
    }

    static void register(HttpRouting.Builder r, StatusLists lists, String issuer) {
        String issuerPath = URI.create(issuer).getRawPath().replaceAll("/$", "");
        for (String base : issuerPath.isEmpty() ? new String[] {""} : new String[] {"", issuerPath}) {
            var pattern = PathMatchers.create(base + StatusLists.PATH + "{id}");
            r.route(Method.GET, pattern, (req, res) -> serve(lists, req, res))
                    .route(Method.HEAD, pattern, (req, res) -> serve(lists, req, res))
                    .route(m -> true, pattern, Problems.methodNotAllowed("GET", "HEAD"));
        }
    }

    private static void serve(StatusLists lists, ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        StatusLists.Served s = lists.served(id).orElseThrow(() -> new dev.signet.spi.SignetException(
                dev.signet.spi.SignetException.Code.NOT_FOUND, "no status list " + id + " is published"));
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=" + s.ttl().toSeconds());
        res.header(HeaderNames.ETAG, s.etag());
        boolean fresh = req.headers().first(HeaderNames.IF_NONE_MATCH)
                .map(v -> Arrays.stream(v.split(",")).map(String::strip)
                        .anyMatch(t -> t.equals(s.etag()) || t.equals("W/" + s.etag()) || t.equals("*")))
                .orElse(false);
        if (fresh) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, StatusLists.MEDIA_TYPE);
        if (req.prologue().method() == Method.HEAD) { // Helidon would send the body on HEAD too
            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(s.body().length));
            res.send();
        } else {
            res.send(s.body());
        }
    }
}
