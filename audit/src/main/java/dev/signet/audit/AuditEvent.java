package dev.signet.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One thing worth recording, before it joins the chain: a type ({@code token}, {@code refusal},
 * {@code refusals}, {@code key}, {@code operator}, ...) and its fields. Fields never hold a credential or a
 * token; values are strings, numbers, booleans, lists and maps of those.
 */
public record AuditEvent(String type, Map<String, Object> fields) {

    /** Names the chain itself writes on every line; an event cannot set them. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("seq", "time", "replica", "type", "prev");

    public AuditEvent {
        if (!validType(type)) {
            throw new IllegalArgumentException("an audit event type is 1-32 of a-z and _");
        }
        for (String name : fields.keySet()) {
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is written by the audit log itself");
            }
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** [a-z_]{1,32}, without a regular expression: an event is made for every token. */
    private static boolean validType(String type) {
        if (type == null || type.isEmpty() || type.length() > 32) {
            return false;
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Starts an event; {@link Builder#put} skips null values so optional claims need no branches. */
    public static Builder of(String type) {
        return new Builder(type);
    }

    public static final class Builder {
        private final String type;
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Builder(String type) {
            this.type = type;
        }

        public Builder put(String name, Object value) {
            if (value != null) {
                fields.put(name, value);
            }
            return this;
        }

        public AuditEvent build() {
            return new AuditEvent(type, fields);
        }
    }
}
