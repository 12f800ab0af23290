package dev.signet.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An audience, or a pattern of audiences, under Signet's grammar (grammar/README.md): an {@code http} or
 * {@code https} URL in canonical form, {@code scheme "://" host [":" port] *("/" segment)}, compared as parts.
 * <ul>
 *   <li>scheme and host lowercase; host a DNS name (labels of a-z, 0-9 and inner '-', no empty label) or a
 *       dotted-quad IPv4 address without leading zeros; no IPv6 literal;</li>
 *   <li>port only when not the scheme's default (no {@code :443} on https, no {@code :80} on http), no leading zero;</li>
 *   <li>path segments as in resources (no empty segment, so no trailing '/'; no dot-segments, no percent-encoding);</li>
 *   <li>no userinfo, query or fragment.</li>
 * </ul>
 * Text not in canonical form is refused, not normalised: verifiers compare {@code aud} as an exact string.
 * A pattern may have {@code *} as its whole leftmost host label, matching exactly one label, followed by at
 * least two labels ({@code https://*.example.com}); {@code *} alone is every audience. Nothing else is a wildcard.
 */
public final class AudiencePattern {

    /** Every audience. */
    public static final String ANY = "*";
    private static final String ONE = "*";

    private final String text;
    private final String scheme; // null for ANY
    private final boolean wildcardHost;
    private final List<String> hostLabels; // without the leading "*"
    private final int port; // -1: the scheme's default
    private final String path; // "" or "/a/b"

    private AudiencePattern(String text, String scheme, boolean wildcardHost, List<String> hostLabels, int port,
                            String path) {
        this.text = text;
        this.scheme = scheme;
        this.wildcardHost = wildcardHost;
        this.hostLabels = hostLabels;
        this.port = port;
        this.path = path;
    }

    /**
     * Parses an audience or a pattern.
     *
     * @throws GrammarException if {@code text} is not in the grammar or not canonical; the message says why
     *                          and, where it can, gives the canonical spelling
     */
    public static AudiencePattern parse(String text) {
        Text.checkCharacters("audience", text);
        if (text.equals(ANY)) {
            return new AudiencePattern(text, null, false, List.of(), -1, "");
        }
        int sep = text.indexOf("://");
        if (sep < 0) {
            throw refused(text, "is not an http or https URL (scheme://host[:port][/path])");
        }
        String scheme = text.substring(0, sep);
        int defaultPort = switch (scheme) {
            case "https" -> 443;
            case "http" -> 80;
            default -> {
                String lower = scheme.toLowerCase(Locale.ROOT);
                if (lower.equals("https") || lower.equals("http")) {
                    throw refused(text, "is not canonical: the scheme is lowercase; write "
                            + Text.quote(lower + text.substring(sep)));
                }
                throw refused(text, "has scheme '" + scheme + "'; only http and https are audiences");
            }
        };
        String rest = text.substring(sep + 3);
        if (rest.indexOf('#') >= 0) {
            throw refused(text, "has a fragment ('#'); an audience has none");
        }
        if (rest.indexOf('?') >= 0) {
            throw refused(text, "has a query ('?'); an audience has none");
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (authority.indexOf('@') >= 0) {
            throw refused(text, "has userinfo ('@' before the host); an audience has none");
        }
        if (authority.startsWith("[")) {
            throw refused(text, "has an IPv6 literal; use a DNS name");
        }
        int port = -1;
        String host = authority;
        int colon = authority.indexOf(':');
        if (colon >= 0) {
            host = authority.substring(0, colon);
            port = port(text, authority.substring(colon + 1), defaultPort);
            if (port < 0) {
                throw refused(text, "is not canonical: leave out the scheme's default port :" + defaultPort
                        + "; write " + Text.quote(text.substring(0, sep + 3) + host + path));
            }
        }
        if (!host.equals(host.toLowerCase(Locale.ROOT))) {
            throw refused(text, "is not canonical: the host is lowercase; write "
                    + Text.quote(scheme + "://" + authority.toLowerCase(Locale.ROOT) + path));
        }
        List<String> labels = new ArrayList<>(List.of(host.split("\\.", -1)));
        boolean wildcard = labels.getFirst().equals(ONE);
        if (wildcard) {
            labels.removeFirst();
        }
        checkHost(text, host, labels, wildcard);
        if (!path.isEmpty()) {
            for (String segment : path.substring(1).split("/", -1)) {
                if (segment.indexOf('*') >= 0) {
                    throw refused(text, "has '*' in its path; '*' is allowed only as the whole leftmost host label");
                }
                Text.checkSegment("audience", text, segment);
            }
        }
        return new AudiencePattern(text, scheme, wildcard, List.copyOf(labels), port, path);
    }

    /** The port, or -1 if it is the default one (which the caller refuses). */
    private static int port(String text, String digits, int defaultPort) {
        boolean ok = !digits.isEmpty() && digits.length() <= 5 && digits.charAt(0) != '0'
                && digits.chars().allMatch(c -> c >= '0' && c <= '9');
        int port = ok ? Integer.parseInt(digits) : -1;
        if (port < 1 || port > 65535) {
            throw refused(text, "has port '" + digits + "'; a port is 1-65535 without leading zeros");
        }
        return port == defaultPort ? -1 : port;
    }

    private static void checkHost(String text, String host, List<String> labels, boolean wildcard) {
        if (host.length() > 253) {
            throw refused(text, "has a host longer than 253 characters");
        }
        if (wildcard && labels.size() < 2) {
            throw refused(text, "has '*.' before fewer than two labels; write at least *.example.com");
        }
        for (String label : labels) {
            if (label.isEmpty()) {
                throw refused(text, "has an empty host label (a leading, doubled or trailing '.')");
            }
            if (label.indexOf('*') >= 0) {
                throw refused(text, "has '*' inside the host; '*' is allowed only as the whole leftmost host label");
            }
            boolean ok = label.length() <= 63 && label.charAt(0) != '-' && label.charAt(label.length() - 1) != '-'
                    && label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
            if (!ok) {
                throw refused(text, "has host label '" + label + "'; labels are 1-63 of a-z, 0-9 and inner '-' "
                        + "(write international names in punycode, xn--)");
            }
        }
        String last = labels.getLast();
        if (last.chars().allMatch(c -> c >= '0' && c <= '9') || last.startsWith("0x")) {
            // URL parsers read a numeric last label as IPv4, in decimal, octal or hex: accept only its canonical form.
            boolean quad = !wildcard && labels.size() == 4 && labels.stream().allMatch(l ->
                    l.length() <= 3 && l.chars().allMatch(c -> c >= '0' && c <= '9')
                            && (l.length() == 1 || l.charAt(0) != '0') && Integer.parseInt(l) <= 255);
            if (!quad) {
                throw refused(text, "has a numeric host that is not a dotted-quad IPv4 address like 192.0.2.1");
            }
        }
    }

    private static GrammarException refused(String text, String why) {
        return new GrammarException("audience " + Text.quote(text) + " " + why);
    }

    /** True if this is one audience, without wildcards. */
    public boolean isConcrete() {
        return scheme != null && !wildcardHost;
    }

    /**
     * True if every audience {@code other} matches is matched by this one as well. Exact: when false, some
     * audience matched by {@code other} is not matched by this. For a concrete {@code other} this is "this
     * matches other".
     */
    public boolean covers(AudiencePattern other) {
        if (scheme == null) {
            return true;
        }
        if (other.scheme == null || !scheme.equals(other.scheme) || port != other.port || !path.equals(other.path)) {
            return false;
        }
        if (!wildcardHost) {
            return !other.wildcardHost && hostLabels.equals(other.hostLabels);
        }
        if (other.wildcardHost) {
            return hostLabels.equals(other.hostLabels);
        }
        List<String> b = other.hostLabels;
        return b.size() == hostLabels.size() + 1 && b.subList(1, b.size()).equals(hostLabels);
    }

    /**
     * True if {@code audience} is a concrete audience in canonical form and this pattern matches it. Anything
     * outside the grammar, or a pattern, is not matched.
     */
    public boolean matches(String audience) {
        AudiencePattern a;
        try {
            a = parse(audience);
        } catch (GrammarException e) {
            return false;
        }
        return a.isConcrete() && covers(a);
    }

    /** The text it was parsed from, which is its only spelling. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AudiencePattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
