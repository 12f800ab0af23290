package dev.signet.api;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;
import java.util.Optional;

/** Reads a request's JSON object body within a size limit, with the checks HTTP clients expect. */
final class RequestBodies {

    private RequestBodies() {
    }

    /**
     * @throws SignetException UNSUPPORTED_MEDIA_TYPE unless the body is {@code application/json};
     *                         PAYLOAD_TOO_LARGE over {@code maxBytes}; MALFORMED if it is not a JSON object
     */
    static Map<String, Object> jsonObject(ServerRequest req, long maxBytes) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty() || !type.get().test(MediaTypes.APPLICATION_JSON)) {
            throw new SignetException(Code.UNSUPPORTED_MEDIA_TYPE, "the request body must be application/json");
        }
        boolean sized = req.headers().contains(HeaderNames.CONTENT_LENGTH);
        if (sized && req.headers().get(HeaderNames.CONTENT_LENGTH).get(long.class) > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try {
            // A sized body is within the limit already and is read whole: cheaper than Helidon's input stream.
            body = sized ? req.content().as(byte[].class) : readLimited(req, maxBytes);
        } catch (IOException | UncheckedIOException e) {
            throw new SignetException(Code.MALFORMED, "the request body could not be read");
        }
        try {
            return JSONObjectUtils.parse(new String(body, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new SignetException(Code.MALFORMED, "the request body is not a JSON object");
        }
    }

    private static byte[] readLimited(ServerRequest req, long maxBytes) throws IOException {
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) maxBytes + 1);
            if (body.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return body;
        }
    }

    private static SignetException tooLarge(long maxBytes) {
        return new SignetException(Code.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxBytes + " bytes");
    }

    /** The bearer credential of the Authorization header. */
    static String bearer(ServerRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).strip())
                .orElse(null);
    }
}
