package dev.signet.issuance;

/** The few JSON writing steps token encoding needs; cheaper than a general-purpose mapper on the hot path. */
final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    /** Appends {@code s} as a JSON string; runs that need no escaping are copied whole. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // U+2028/2029 are valid JSON but break JavaScript evaluators; escape them too.
            if (c >= 0x20 && c != '"' && c != '\\' && c != '\u2028' && c != '\u2029') {
                continue;
            }
            out.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                        .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
            }
        }
        out.append(s, run, s.length()).append('"');
    }

    static void field(StringBuilder out, String name, String value) {
        string(out, name);
        out.append(':');
        string(out, value);
        out.append(',');
    }

    static void field(StringBuilder out, String name, long value) {
        string(out, name);
        out.append(':').append(value).append(',');
    }
}
