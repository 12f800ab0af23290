package dev.signet.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a request's body and credential with the checks HTTP clients expect: {@code application/json}, a size
 * limit, a read deadline, strict UTF-8 and strict JSON (RFC 8259, no duplicate member names at any depth), and a
 * JSON object at the top.
 */
final class RequestBodies {

    private static final System.Logger LOG = System.getLogger(RequestBodies.class.getName());
    /** Deeper than any valid request; bounds the parser's work on hostile input. */
    private static final int MAX_DEPTH = 16;

    private RequestBodies() {
    }

    /**
     * @throws SignetException UNSUPPORTED_MEDIA_TYPE unless the body is {@code application/json};
     *                         PAYLOAD_TOO_LARGE over {@code maxBytes}; MALFORMED if it is not UTF-8, not strict
     *                         JSON, repeats a member name or is not a JSON object
     */
    static Map<String, Object> jsonObject(ServerRequest req, long maxBytes, ReadDeadlines deadlines) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty() || !type.get().test(MediaTypes.APPLICATION_JSON)) {
            throw new SignetException(Code.UNSUPPORTED_MEDIA_TYPE, "the request body must be application/json");
        }
        // Parsed directly (Helidon's own reading of the length): get(long.class) looks a mapper up per request.
        long length = req.headers().contentLength().orElse(-1);
        if (length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        byte[] body;
        try {
            body = deadlines.body(() -> length >= 0 ? readExactly(req, (int) length) : readLimited(req, maxBytes));
        } catch (UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
            // The client went away mid-body: nobody to answer, nothing for the operator to do.
            LOG.log(System.Logger.Level.DEBUG, () -> "request " + RequestId.of(req) + ": the client closed the"
                    + " connection before its body was complete");
            throw new CloseConnectionException("client closed the connection mid-body", e);
        }
        return parseObject(body);
    }

    /**
     * Strict RFC 8259 as Jackson's defaults have it (no comments, single quotes, unquoted names, leading zeros,
     * NaN, trailing commas or unescaped control characters); a UTF-8 byte order mark is skipped. Nesting is
     * bounded by {@link #MAX_DEPTH}; duplicate names are found here, so the detail can name them.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    /** @throws SignetException MALFORMED naming what is wrong */
    static Map<String, Object> parseObject(byte[] body) {
        if (!wellFormedUtf8(body)) {
            throw new SignetException(Code.MALFORMED, "the request body is not valid UTF-8");
        }
        try (JsonParser in = JSON.createParser(body)) {
            if (in.nextToken() != JsonToken.START_OBJECT) {
                throw new SignetException(Code.MALFORMED, "the body must be a JSON object");
            }
            Map<String, Object> object = object(in);
            if (in.nextToken() != null) {
                throw new SignetException(Code.MALFORMED, "the body must be one JSON object and nothing after it");
            }
            return object;
        } catch (IOException e) {
            // Jackson's message quotes the input (the client has its own copy); its limits (depth, number length) land here too.
            throw new SignetException(Code.MALFORMED, "the request body is not a JSON object (malformed JSON)");
        }
    }

    /** Jackson checks the UTF-8 it decodes but not all of it (overlong forms, surrogates): the JDK decoder does. */
    private static boolean wellFormedUtf8(byte[] body) {
        for (byte b : body) {
            if (b < 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(body));
                    return true;
                } catch (CharacterCodingException e) {
                    return false;
                }
            }
        }
        return true; // ASCII, the usual request: no decoding pass
    }

    /** The members of an object whose START_OBJECT was just read. */
    private static Map<String, Object> object(JsonParser in) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        String name;
        while ((name = in.nextFieldName()) != null) {
            if (m.containsKey(name)) {
                throw new SignetException(Code.MALFORMED, "the member name '" + printable(name)
                        + "' appears twice in one object");
            }
            m.put(name, value(in, in.nextToken()));
        }
        return m;
    }

    /** Numbers as Nimbus gives them: whole numbers that fit a long as Long, others as Double. */
    private static Object value(JsonParser in, JsonToken token) throws IOException {
        if (token == null) {
            throw new JsonParseException(in, "unexpected end of input");
        }
        return switch (token) {
            case START_OBJECT -> object(in);
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                JsonToken t;
                while ((t = in.nextToken()) != JsonToken.END_ARRAY) {
                    l.add(value(in, t));
                }
                yield l;
            }
            case VALUE_STRING -> in.getText();
            case VALUE_NUMBER_INT -> in.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? Double.parseDouble(in.getText()) : (Object) in.getLongValue();
            case VALUE_NUMBER_FLOAT -> in.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new JsonParseException(in, "unexpected " + token);
        };
    }

    /** A member name in an error detail: short, and without control characters. */
    private static String printable(String name) {
        String cut = name.length() > 64 ? name.substring(0, 64) + "…" : name;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /**
     * A sized body (within the limit already) into an array of its size. Helidon's {@code as(byte[].class)} goes
     * through {@code InputStream.readAllBytes}, which allocates a 16 KiB buffer per call: for a 130-byte token
     * request that was most of a request's allocation (JFR, {@code ops/bin/bench profile}).
     */
    private static byte[] readExactly(ServerRequest req, int length) {
        byte[] body = new byte[length];
        try (InputStream in = req.content().inputStream()) {
            if (in.readNBytes(body, 0, length) < length) {
                throw new java.io.EOFException("the body ended before its Content-Length");
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readLimited(ServerRequest req, long maxBytes) {
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) maxBytes + 1);
            if (body.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SignetException tooLarge(long maxBytes) {
        return new SignetException(Code.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxBytes + " bytes");
    }

    /**
     * The bearer credential of the Authorization header, or null without one.
     *
     * @throws SignetException MALFORMED for more than one Authorization header: which one a proxy or client
     *                         meant is unknowable, so neither is used
     */
    static String bearer(ServerRequest req) {
        Optional<Header> header = req.headers().find(HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            return null;
        }
        // The usual case, one header without a comma, without values()'s stream and tokenizer (same answer).
        if (header.get().valueCount() == 1 && header.get().get().indexOf(',') < 0) {
            return bearerOf(header.get().get());
        }
        List<String> values = req.headers().values(HeaderNames.AUTHORIZATION);
        if (values.size() > 1) {
            throw new SignetException(Code.MALFORMED, "send one Authorization header, not " + values.size());
        }
        return values.isEmpty() ? null : bearerOf(values.get(0));
    }

    private static String bearerOf(String value) {
        return value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).strip() : null;
    }
}
