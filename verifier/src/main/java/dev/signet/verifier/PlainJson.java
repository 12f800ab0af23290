package dev.signet.verifier;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON object in the plain subset tokens are written in, to the values Nimbus' {@code JSONObjectUtils.parse}
 * (gson, numbers as Long or Double) gives it: strings without escapes or control characters, integers of up to 18
 * digits (Long), {@code true}, {@code false}, {@code null}, arrays and objects, no repeated member name, nesting up
 * to {@link #MAX_DEPTH}, JSON whitespace. Anything else, valid JSON or not, is not read ({@link #object} returns
 * null) and is left to Nimbus, whose lenient gson accepts a superset and refuses the rest: so whatever this reads,
 * Nimbus reads to equal values, and whatever it does not, Nimbus decides as before.
 */
public final class PlainJson {

    static final int MAX_DEPTH = 32;
    /** Nimbus refuses longer headers (JWSHeader's limit); longer ones are left to it. */
    static final int MAX_HEADER = 20_000;

    private static final Object OUTSIDE = new Object();

    private final String text;
    private int at;

    private PlainJson(String text) {
        this.text = text;
    }

    /** The object {@code text} holds, or null when it is not one in the plain subset. */
    public static Map<String, Object> object(String text) {
        PlainJson p = new PlainJson(text);
        try {
            p.space();
            if (p.peek() != '{') {
                return null;
            }
            Map<String, Object> o = p.object(1);
            p.space();
            return o != null && p.at == text.length() ? o : null;
        } catch (IndexOutOfBoundsException e) {
            return null; // the text ended inside a value
        }
    }

    /**
     * The array {@code text} holds, or null when it is not one in the plain subset: what Nimbus'
     * {@code JSONArrayUtils.parse} reads it to, for text this reads.
     */
    public static List<Object> array(String text) {
        PlainJson p = new PlainJson(text);
        try {
            p.space();
            if (p.peek() != '[') {
                return null;
            }
            List<Object> a = p.array(1);
            p.space();
            return a != null && p.at == text.length() ? a : null;
        } catch (IndexOutOfBoundsException e) {
            return null;
        }
    }

    private char peek() {
        return text.charAt(at);
    }

    private void space() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    /** At '{'. */
    private Map<String, Object> object(int depth) {
        if (depth > MAX_DEPTH) {
            return null;
        }
        at++;
        Map<String, Object> o = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            at++;
            return o;
        }
        while (true) {
            space();
            if (peek() != '"') {
                return null;
            }
            String name = string();
            if (name == null) {
                return null;
            }
            space();
            if (peek() != ':') {
                return null;
            }
            at++;
            space();
            Object value = value(depth);
            if (value == OUTSIDE || o.containsKey(name)) {
                return null;
            }
            o.put(name, value);
            space();
            char c = peek();
            at++;
            if (c == '}') {
                return o;
            }
            if (c != ',') {
                return null;
            }
        }
    }

    /** At '['. */
    private List<Object> array(int depth) {
        if (depth > MAX_DEPTH) {
            return null;
        }
        at++;
        List<Object> a = new ArrayList<>();
        space();
        if (peek() == ']') {
            at++;
            return a;
        }
        while (true) {
            space();
            Object value = value(depth);
            if (value == OUTSIDE) {
                return null;
            }
            a.add(value);
            space();
            char c = peek();
            at++;
            if (c == ']') {
                return a;
            }
            if (c != ',') {
                return null;
            }
        }
    }

    /** One value, or {@link #OUTSIDE} when it is outside the subset. */
    private Object value(int depth) {
        char c = peek();
        Object v;
        if (c == '"') {
            v = string();
        } else if (c == '{') {
            v = object(depth + 1);
        } else if (c == '[') {
            v = array(depth + 1);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v = integer();
        } else {
            return literal();
        }
        return v == null ? OUTSIDE : v;
    }

    /** true, false or null; gson reads "truex" as the unquoted string truex, so a literal must end where a value may. */
    private Object literal() {
        for (Object value : new Object[] {Boolean.TRUE, Boolean.FALSE, null}) {
            String word = String.valueOf(value);
            if (text.startsWith(word, at)) {
                at += word.length();
                return delimiter() ? value : OUTSIDE;
            }
        }
        return OUTSIDE;
    }

    private boolean delimiter() {
        if (at == text.length()) {
            return true;
        }
        char c = text.charAt(at);
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /** At '"': the characters up to the next '"', none of them a backslash or a control character. */
    private String string() {
        int start = ++at;
        while (true) {
            char c = text.charAt(at);
            if (c == '"') {
                return text.substring(start, at++);
            }
            if (c == '\\' || c < 0x20) {
                return null;
            }
            at++;
        }
    }

    /** 0 or -?[1-9][0-9]*, at most 18 digits, as a Long; -0, decimals, exponents and longer numbers are left to Nimbus. */
    private Long integer() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        int digits = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        int n = at - digits;
        if (n == 0 || n > 18 || (n > 1 || digits > start) && text.charAt(digits) == '0' || !delimiter()) {
            return null;
        }
        return Long.parseLong(text, start, at, 10);
    }
}
