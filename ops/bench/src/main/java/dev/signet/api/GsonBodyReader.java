package dev.signet.api;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The request body reader before jackson-core (strict UTF-8 decode to a String, then Gson's strict JsonReader),
 * kept only as {@link RequestBodyBench}'s baseline.
 */
final class GsonBodyReader {

    private GsonBodyReader() {
    }

    static Map<String, Object> parseObject(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new SignetException(Code.MALFORMED, "the request body is not valid UTF-8");
        }
        try (JsonReader in = new JsonReader(new StringReader(text))) {
            in.setStrictness(Strictness.STRICT);
            in.setNestingLimit(16);
            if (in.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SignetException(Code.MALFORMED, "the body must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value(in);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new SignetException(Code.MALFORMED, "the body must be one JSON object and nothing after it");
            }
            return object;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new SignetException(Code.MALFORMED, "the request body is not a JSON object (malformed JSON)");
        }
    }

    private static Object value(JsonReader in) throws IOException {
        return switch (in.peek()) {
            case BEGIN_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (m.containsKey(name)) {
                        throw new SignetException(Code.MALFORMED, "the member name appears twice in one object");
                    }
                    m.put(name, value(in));
                }
                in.endObject();
                yield m;
            }
            case BEGIN_ARRAY -> {
                List<Object> l = new ArrayList<>();
                in.beginArray();
                while (in.hasNext()) {
                    l.add(value(in));
                }
                in.endArray();
                yield l;
            }
            case STRING -> in.nextString();
            case NUMBER -> number(in.nextString());
            case BOOLEAN -> in.nextBoolean();
            case NULL -> {
                in.nextNull();
                yield null;
            }
            default -> throw new IllegalStateException("unexpected " + in.peek());
        };
    }

    private static Number number(String text) {
        if (text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooBig) {
                // falls through to a double
            }
        }
        return Double.parseDouble(text);
    }
}
