package dev.signet.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A log line with named fields: the JSON format writes them as they are, the text format as
 * {@code name k=v k=v}. Pass it as the only parameter of a {@code "{0}"} message. Fields never hold a credential
 * or a token.
 */
public record LogEvent(String name, Map<String, Object> fields) {

    public LogEvent {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(name);
        fields.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.toString();
    }
}
