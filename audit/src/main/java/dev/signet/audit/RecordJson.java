package dev.signet.audit;

import java.util.List;
import java.util.Map;

/**
 * The JSON text of a record's fields, written by hand: it runs on the request thread for every token, where a
 * general JSON library cost more than the rest of the record. Values are what {@link AuditEvent} allows: strings,
 * numbers, booleans, null, lists and maps of those (anything else is written as its string).
 */
final class RecordJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RecordJson() {
    }

    /** The end of a record's line after the chain's own members: {@code ,"name":value...}} or {@code }}. */
    static byte[] tail(Map<String, Object> fields) {
        StringBuilder b = new StringBuilder(2 + 32 * fields.size());
        if (!fields.isEmpty()) {
            b.append(',');
            members(b, fields);
        }
        return b.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void members(StringBuilder b, Map<String, Object> fields) {
        boolean first = true;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            string(b, e.getKey());
            b.append(':');
            value(b, e.getValue());
        }
    }

    static void value(StringBuilder b, Object v) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(b, s);
            case Boolean bool -> b.append(bool.booleanValue());
            case Integer i -> b.append(i.intValue());
            case Long l -> b.append(l.longValue());
            case Number n -> number(b, n);
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    string(b, String.valueOf(e.getKey()));
                    b.append(':');
                    value(b, e.getValue());
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    value(b, l.get(i));
                }
                b.append(']');
            }
            default -> string(b, v.toString());
        }
    }

    /** A double that is not finite has no JSON form: written as a string rather than as invalid JSON. */
    private static void number(StringBuilder b, Number n) {
        double d = n.doubleValue();
        if (Double.isFinite(d)) {
            b.append(n);
        } else {
            string(b, n.toString());
        }
    }

    /** RFC 8259 string: quote, backslash and control characters escaped; the rest as is (the line is UTF-8). */
    static void string(StringBuilder b, String s) {
        b.append('"');
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            b.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append("\\u00").append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
            }
        }
        b.append(s, run, s.length()).append('"');
    }
}
