package dev.signet.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One thing worth recording, before it joins the chain: a type ({@code token}, {@code refusal},
 * {@code refusals}, {@code key}, {@code operator}, ...) and its fields in the order they were put. Fields never
 * hold a credential or a token; values are strings, numbers, booleans, lists and maps of those. Made only by
 * {@link Builder}, which checks each name as it is put and hands its map over without a copy (one is made for every
 * token).
 */
public final class AuditEvent {

    /** Names the chain itself writes on every line; an event cannot set them. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("seq", "time", "replica", "type", "prev");

    private final String type;
    private final Map<String, Object> fields;

    private AuditEvent(String type, Map<String, Object> fields) {
        this.type = type;
        this.fields = Collections.unmodifiableMap(fields);
    }

    public String type() {
        return type;
    }

    /** The fields, unmodifiable, in the order they were put. */
    public Map<String, Object> fields() {
        return fields;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditEvent e && type.equals(e.type) && fields.equals(e.fields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, fields);
    }

    @Override
    public String toString() {
        return "AuditEvent[type=" + type + ", fields=" + fields + "]";
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

    /**
     * Starts an event; {@link Builder#put} skips null values so optional claims need no branches.
     *
     * @throws IllegalArgumentException if the type is not 1-32 of a-z and _
     */
    public static Builder of(String type) {
        if (!validType(type)) {
            throw new IllegalArgumentException("an audit event type is 1-32 of a-z and _");
        }
        return new Builder(type);
    }

    public static final class Builder {
        private final String type;
        private Map<String, Object> fields = new LinkedHashMap<>();
        /** The map belongs to a built event: the next put starts a copy. */
        private boolean handedOver;

        private Builder(String type) {
            this.type = type;
        }

        /** @throws IllegalArgumentException for a name the chain writes itself ({@code seq}, {@code prev}, ...) */
        public Builder put(String name, Object value) {
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is written by the audit log itself");
            }
            if (value != null) {
                if (handedOver) {
                    fields = new LinkedHashMap<>(fields);
                    handedOver = false;
                }
                fields.put(name, value);
            }
            return this;
        }

        public AuditEvent build() {
            handedOver = true;
            return new AuditEvent(type, fields);
        }
    }
}
