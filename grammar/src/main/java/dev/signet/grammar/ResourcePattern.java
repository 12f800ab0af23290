package dev.signet.grammar;

import java.util.List;

/**
 * A resource, or a pattern of resources, under Signet's grammar (grammar/README.md):
 * <pre>
 *   resource = type ":" ["/"] segment *("/" segment)     e.g. repo:acme/widgets, file:/srv/public/a.txt
 *   type     = a-z *(a-z / 0-9 / "_" / "-")
 *   segment  = 1*(ALPHA / DIGIT / - . _ ~ @ + = ,), not dots only
 *   pattern  = a resource whose segments may be "*" (exactly one segment) and whose last segment may be "**"
 *              (one or more segments), or "**" alone (every resource)
 * </pre>
 * {@code :} separates the type from the path and appears nowhere else; {@code /} separates segments. Matching
 * is segment by segment and case-sensitive. Text outside the grammar (dot-segments, percent-encoding, control
 * characters, empty segments, a {@code *} inside a segment) is refused by {@link #parse}, never matched.
 * Instances are immutable; equal patterns have equal text.
 */
public final class ResourcePattern {

    /** Every resource of every type. */
    public static final String ANY = "**";
    private static final String ONE = "*";

    private final String text;
    private final String type; // null for ANY
    private final boolean rooted;
    private final List<String> segments;

    private ResourcePattern(String text, String type, boolean rooted, List<String> segments) {
        this.text = text;
        this.type = type;
        this.rooted = rooted;
        this.segments = segments;
    }

    /**
     * Parses a resource or a pattern.
     *
     * @throws GrammarException if {@code text} is not in the grammar; the message says why
     */
    public static ResourcePattern parse(String text) {
        Text.checkCharacters("resource", text);
        if (text.equals(ANY)) {
            return new ResourcePattern(text, null, false, List.of());
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new GrammarException("resource " + Text.quote(text) + " has no type: write type:path, e.g. repo:acme/widgets"
                    + (text.equals(ONE) ? " (for every resource write " + ANY + ")" : ""));
        }
        String type = text.substring(0, colon);
        checkType(text, type);
        String path = text.substring(colon + 1);
        boolean rooted = path.startsWith("/");
        if (rooted) {
            path = path.substring(1);
        }
        if (path.isEmpty()) {
            throw new GrammarException("resource " + Text.quote(text) + " has an empty path");
        }
        List<String> segments = List.of(path.split("/", -1));
        for (int i = 0; i < segments.size(); i++) {
            String s = segments.get(i);
            if (s.equals(ANY)) {
                if (i != segments.size() - 1) {
                    throw new GrammarException("resource " + Text.quote(text) + ": '**' is allowed only as the last segment");
                }
            } else if (!s.equals(ONE)) {
                if (s.indexOf('*') >= 0) {
                    throw new GrammarException("resource " + Text.quote(text) + ": '*' must be a whole segment ('"
                            + s + "' is not); list the resources or use * for the segment");
                }
                if (s.indexOf(':') >= 0) {
                    throw new GrammarException("resource " + Text.quote(text)
                            + ": ':' only separates the type from the path; it is not allowed in a segment");
                }
                Text.checkSegment("resource", text, s);
            }
        }
        return new ResourcePattern(text, type, rooted, segments);
    }

    private static void checkType(String text, String type) {
        boolean ok = !type.isEmpty() && type.charAt(0) >= 'a' && type.charAt(0) <= 'z';
        for (int i = 1; ok && i < type.length(); i++) {
            char c = type.charAt(i);
            ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        }
        if (!ok) {
            throw new GrammarException("resource " + Text.quote(text) + ": the type before ':' must be a lowercase "
                    + "letter followed by lowercase letters, digits, '_' or '-' (wildcards are not allowed there; "
                    + ANY + " alone is every resource)");
        }
    }

    /** True if this is one resource, without wildcards. */
    public boolean isConcrete() {
        return type != null && !segments.contains(ONE) && !segments.contains(ANY);
    }

    /**
     * True if every resource this pattern's {@code other} matches is matched by this one as well, so a scope
     * holding {@code other} never exceeds a scope holding this. Exact: when false, some resource matched by
     * {@code other} is not matched by this. For a concrete {@code other} this is "this matches other".
     */
    public boolean covers(ResourcePattern other) {
        if (type == null) {
            return true;
        }
        if (other.type == null || !type.equals(other.type) || rooted != other.rooted) {
            return false;
        }
        List<String> a = segments;
        List<String> b = other.segments;
        boolean aOpen = a.getLast().equals(ANY);
        if (aOpen) {
            // a matches lengths >= |a|; b matches nothing shorter than |b|.
            if (b.size() < a.size()) {
                return false;
            }
        } else if (b.getLast().equals(ANY) || b.size() != a.size()) {
            return false;
        }
        int fixed = aOpen ? a.size() - 1 : a.size();
        for (int i = 0; i < fixed; i++) {
            String x = a.get(i);
            String y = b.get(i);
            if (!(x.equals(ONE) ? !y.equals(ANY) : x.equals(y))) {
                return false;
            }
        }
        return true;
    }

    /**
     * True if {@code resource} is a concrete resource under the grammar and this pattern matches it. Anything
     * outside the grammar, or a pattern, is not matched.
     */
    public boolean matches(String resource) {
        ResourcePattern r;
        try {
            r = parse(resource);
        } catch (GrammarException e) {
            return false;
        }
        return r.isConcrete() && covers(r);
    }

    /** The text it was parsed from, which is its only spelling. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResourcePattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
