package dev.signet.grammar;

/** Character rules shared by resources and audience paths. */
final class Text {

    /** Longest resource or audience, in characters; bounds the work per check. */
    static final int MAX_LENGTH = 1024;

    static final String SEGMENT_CHARACTERS = "letters, digits and - . _ ~ @ + = ,";

    private Text() {
    }

    /**
     * Refuses null, empty and over-long text, and anything outside printable ASCII: control characters
     * (a newline can split a resource in two for a line-based consumer) and non-ASCII (look-alikes, and
     * bytes a server may decode differently). Percent-encoding is refused because a server that decodes it
     * sees a different path from the one matched ({@code %2e%2e} is {@code ..}).
     */
    static void checkCharacters(String kind, String text) {
        if (text == null || text.isEmpty()) {
            throw new GrammarException("an empty " + kind + " is not allowed");
        }
        if (text.length() > MAX_LENGTH) {
            throw new GrammarException("a " + kind + " is at most " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new GrammarException(kind + " " + quote(text) + ": character " + codePoint(c) + " at index " + i
                        + " is not allowed (only printable ASCII, no spaces or control characters)");
            }
            if (c == '%') {
                throw new GrammarException(kind + " " + quote(text) + ": percent-encoding is not allowed (index " + i
                        + "); write the characters themselves");
            }
            if (c == '\\') {
                throw new GrammarException(kind + " " + quote(text) + ": '\\' is not allowed (index " + i + ")");
            }
        }
    }

    /**
     * Checks one literal path segment: non-empty, only {@link #SEGMENT_CHARACTERS}, and not made of dots
     * alone ({@code .} and {@code ..} are dot-segments that servers resolve; {@code ...} is refused too).
     */
    static void checkSegment(String kind, String text, String segment) {
        if (segment.isEmpty()) {
            throw new GrammarException(kind + " " + quote(text) + ": empty segment (a leading, doubled or trailing '/')");
        }
        boolean dotsOnly = true;
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (!isSegmentCharacter(c)) {
                throw new GrammarException(kind + " " + quote(text) + ": '" + c + "' is not allowed in a segment; "
                        + "allowed: " + SEGMENT_CHARACTERS);
            }
            dotsOnly &= c == '.';
        }
        if (dotsOnly) {
            throw new GrammarException(kind + " " + quote(text) + ": segment '" + segment
                    + "' is made of dots only ('.' and '..' are dot-segments)");
        }
    }

    static boolean isSegmentCharacter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '+' || c == '=' || c == ',';
    }

    /** The text in single quotes, with anything outside printable ASCII escaped as backslash-u, so messages stay one clean line. */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('\'');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('\'').toString();
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }
}
