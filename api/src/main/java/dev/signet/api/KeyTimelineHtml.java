package dev.signet.api;

import dev.signet.rotation.KeyRing.KeyView;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The key timeline page and its login form as HTML: server-rendered, inline SVG, one stylesheet whose hash the
 * Content-Security-Policy names, no script. Pure functions of what they are given; every text is escaped.
 */
final class KeyTimelineHtml {

    /** What one look shows. Strings may be null where a thing is unknown or healthy. */
    record Snapshot(String issuer, String replica, Instant now, List<KeyView> keys, Duration lead,
                    Duration rotationPeriod, String backendType, boolean hardwareProtected, String backendDegraded,
                    String circuit, String storeType, String storeDegraded, Duration journalAge,
                    Map<String, IssuanceWindow.Series> issuance, boolean loggedInBySession, String span) {
    }

    /** The time axis' choices: a quarter of the span before now, the rest after; {@code all} fits every key. */
    static final Map<String, Duration> SPANS = new java.util.LinkedHashMap<>();

    static {
        SPANS.put("6h", Duration.ofHours(6));
        SPANS.put("1d", Duration.ofDays(1));
        SPANS.put("7d", Duration.ofDays(7));
        SPANS.put("30d", Duration.ofDays(30));
        SPANS.put("all", null);
    }

    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2530;background:#fbfcfd}
            h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.4em 0 .4em}
            .meta{color:#5a6675}.cards{display:flex;gap:1em;flex-wrap:wrap}
            .card{border:1px solid #d5dbe3;border-radius:6px;padding:.6em .9em;background:#fff;min-width:14em}
            .ok{color:#17723a;font-weight:600}.bad{color:#b3261e;font-weight:600}
            table{border-collapse:collapse}td,th{padding:.2em .8em .2em 0;text-align:left;vertical-align:middle}
            th{color:#5a6675;font-weight:500}code{font-size:.92em}
            svg text{font:11px system-ui,sans-serif;fill:#1d2530}.axis line{stroke:#c4ccd6}
            .seg-prepared{fill:#8fb8e8}.seg-active{fill:#2f9e5b}.seg-retired{fill:#c9a23a}
            .seg-unpublished{fill:#b9c0c8}.seg-revoked{fill:#d0453a}.subkey rect{opacity:.75}
            .future{fill:#fbfcfd;opacity:.45}.now{stroke:#1d2530;stroke-width:2}
            .next{fill:#1d2530}.spark rect{fill:#2f9e5b}.spark .refused{fill:#d0453a}
            .legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:-.1em}
            .l-prepared{background:#8fb8e8}.l-active{background:#2f9e5b}.l-retired{background:#c9a23a}
            .l-unpublished{background:#b9c0c8}.l-revoked{background:#d0453a}
            form.inline{display:inline}.error{color:#b3261e;font-weight:600}
            input{font:inherit;padding:.3em;width:22em}button{font:inherit;padding:.3em .8em}
            """;

    /** The Content-Security-Policy of every page: nothing loads, nothing runs, only the stylesheet above applies. */
    static final String CSP = "default-src 'none'; style-src '" + sha256(CSS) + "'; img-src 'none';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TICK = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(ZoneOffset.UTC);

    private static final int WIDTH = 980;
    private static final int LABELS = 200;
    private static final int ROW = 26;
    private static final int TOP = 26;

    private KeyTimelineHtml() {
    }

    /** The login form; {@code error} (shown as is, so never a detail of why) is null on the first visit. */
    static String login(String issuer, String error) {
        StringBuilder h = head("Signet: log in", false);
        h.append("<h1>Signet key timeline</h1><p class=\"meta\">").append(esc(issuer)).append("</p>");
        if (error != null) {
            h.append("<p class=\"error\" id=\"login-error\">").append(esc(error)).append("</p>");
        }
        h.append("<form method=\"post\" action=\"/ui/login\" id=\"login\">")
                .append("<p><label for=\"credential\">Admin credential</label><br>")
                .append("<input type=\"password\" id=\"credential\" name=\"credential\" autocomplete=\"current-password\""
                        + " required autofocus></p><p><button type=\"submit\">Log in</button></p></form>")
                .append("<p class=\"meta\">Read-only. The session lasts ").append(UiSessions.LIFETIME.toMinutes())
                .append(" minutes; scripts send <code>Authorization: Bearer</code> instead.</p>");
        return h.append("</body></html>").toString();
    }

    static String page(Snapshot s) {
        StringBuilder h = head("Signet key timeline", true);
        h.append("<h1>Signet key timeline</h1><p class=\"meta\">").append(esc(s.issuer())).append(" &middot; replica <code>")
                .append(esc(s.replica())).append("</code> &middot; <span id=\"generated\">")
                .append(WHEN.format(s.now())).append("</span> &middot; refreshes every 30 s");
        if (s.loggedInBySession()) {
            h.append(" &middot; <form class=\"inline\" method=\"post\" action=\"/ui/logout\">"
                    + "<button type=\"submit\" id=\"logout\">Log out</button></form>");
        }
        h.append("</p>");
        cards(h, s);
        h.append("<h2>Keys</h2><p class=\"meta\" id=\"spans\">span:");
        for (String span : SPANS.keySet()) {
            h.append(' ');
            if (span.equals(s.span())) {
                h.append("<b>").append(span).append("</b>");
            } else {
                h.append("<a href=\"/ui?span=").append(span).append("\">").append(span).append("</a>");
            }
        }
        h.append("</p>");
        timeline(h, s);
        h.append("<p class=\"legend\"><span class=\"l-prepared\"></span>prepared<span class=\"l-active\"></span>active"
                + "<span class=\"l-retired\"></span>retired<span class=\"l-unpublished\"></span>unpublished"
                + "<span class=\"l-revoked\"></span>revoked &middot; the dark line is now; faded is scheduled</p>");
        next(h, s);
        issuance(h, s);
        return h.append("</body></html>").toString();
    }

    private static StringBuilder head(String title, boolean refresh) {
        return new StringBuilder(16_384).append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append(refresh ? "<meta http-equiv=\"refresh\" content=\"30\">" : "")
                .append("<meta name=\"viewport\" content=\"width=device-width\"><title>").append(esc(title))
                .append("</title><style>").append(CSS).append("</style></head><body>");
    }

    private static void cards(StringBuilder h, Snapshot s) {
        h.append("<div class=\"cards\"><div class=\"card\" id=\"backend\"><b>Backend</b> <code>")
                .append(esc(s.backendType())).append("</code>").append(s.hardwareProtected() ? " (hardware)" : "")
                .append("<br>");
        health(h, s.backendDegraded());
        h.append("<br>circuit <code id=\"circuit\">").append(esc(s.circuit())).append("</code></div>");
        h.append("<div class=\"card\" id=\"store\"><b>Journal</b> <code>").append(esc(s.storeType())).append("</code><br>");
        health(h, s.storeDegraded());
        h.append("<br>read ").append(s.journalAge() == null ? "never" : human(s.journalAge()) + " ago").append("</div>");
        h.append("<div class=\"card\"><b>Rotation</b><br>every ").append(human(s.rotationPeriod()))
                .append("<br>prepublish lead ").append(human(s.lead())).append("</div></div>");
    }

    private static void health(StringBuilder h, String degraded) {
        if (degraded == null) {
            h.append("<span class=\"ok health\">healthy</span>");
        } else {
            h.append("<span class=\"bad health\">degraded:</span> ").append(esc(degraded));
        }
    }

    /** A bar's stretch in one state. */
    private record Segment(String phase, Instant from, Instant to) {
    }

    /** The keys to draw; the ACTIVE key's retirement is already the actual one (rotation's Schedule.actualRetirement). */
    private static List<KeyView> shown(Snapshot s) {
        return s.keys().stream().filter(k -> !k.state().equals("DESTROYED")).toList();
    }

    /**
     * A key's states as stretches of time: prepared until it activates, active until it retires, retired until
     * unpublished; then unpublished (REMOVED) or revoked until destroyed. Open ends run to {@code end}.
     */
    private static List<Segment> segments(KeyView k, Instant end) {
        String state = k.state().replace("SUBKEY_", "");
        List<Segment> out = new ArrayList<>();
        Instant stop = switch (state) {
            case "REVOKED", "REMOVED" -> k.unpublishes() != null ? k.unpublishes() : end;
            default -> end;
        };
        Instant at = k.created() != null ? k.created() : k.activates();
        at = add(out, "prepared", at, k.activates(), stop);
        at = add(out, "active", at, k.retires(), stop);
        at = add(out, "retired", at, k.unpublishes(), stop);
        if (at != null && (state.equals("REVOKED") || state.equals("REMOVED"))) {
            Instant to = k.destroys() != null && k.destroys().isAfter(at) ? k.destroys() : end;
            out.add(new Segment(state.equals("REVOKED") ? "revoked" : "unpublished", at, to));
        }
        return out;
    }

    /** Adds [from, min(to, stop)) when it is not empty (an unknown end is {@code stop}); returns where it ended. */
    private static Instant add(List<Segment> out, String phase, Instant from, Instant to, Instant stop) {
        if (from == null || !from.isBefore(stop)) {
            return from;
        }
        Instant until = to == null || to.isAfter(stop) ? stop : to;
        if (!until.isAfter(from)) {
            return from;
        }
        out.add(new Segment(phase, from, until));
        return until;
    }

    private static void timeline(StringBuilder h, Snapshot s) {
        List<KeyView> keys = shown(s);
        Instant now = s.now();
        Instant start = now.minus(Duration.ofHours(1));
        Instant end = now.plus(Duration.ofHours(1));
        for (KeyView k : keys) {
            for (Instant t : new Instant[] {k.created(), k.activates(), k.retires(), k.unpublishes(), k.destroys()}) {
                if (t != null) {
                    start = t.isBefore(start) ? t : start;
                    end = t.isAfter(end) ? t : end;
                }
            }
        }
        Duration span = SPANS.get(s.span());
        Instant first = span == null ? start : now.minus(span.dividedBy(4));
        Instant last = span == null ? end.plus(Duration.between(start, end).dividedBy(40)) // room after the last
                : now.plus(span.minus(span.dividedBy(4)));
        int height = TOP + Math.max(keys.size(), 1) * ROW + 8;
        double plot = WIDTH - LABELS - 10;
        java.util.function.ToDoubleFunction<Instant> x = t -> LABELS
                + plot * Duration.between(first, t).toMillis() / (double) Duration.between(first, last).toMillis();
        h.append("<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"key timeline\">");
        h.append("<g class=\"axis\">");
        for (int i = 0; i <= 6; i++) {
            Instant t = first.plus(Duration.between(first, last).multipliedBy(i).dividedBy(6));
            double tx = x.applyAsDouble(t);
            h.append("<line x1=\"").append(f(tx)).append("\" x2=\"").append(f(tx)).append("\" y1=\"").append(TOP - 6)
                    .append("\" y2=\"").append(height - 4).append("\"/><text x=\"").append(f(tx))
                    .append("\" y=\"12\" text-anchor=\"").append(i == 0 ? "start" : i == 6 ? "end" : "middle")
                    .append("\">").append(TICK.format(t)).append("</text>");
        }
        h.append("</g>");
        if (keys.isEmpty()) {
            h.append("<text x=\"").append(LABELS).append("\" y=\"").append(TOP + 16).append("\">no keys</text>");
        }
        int row = 0;
        for (KeyView k : keys) {
            int y = TOP + row++ * ROW;
            boolean subkey = k.state().startsWith("SUBKEY_");
            String state = k.state().replace("SUBKEY_", "");
            h.append("<g class=\"key").append(subkey ? " subkey" : "").append("\" data-kid=\"").append(esc(k.kid()))
                    .append("\" data-state=\"").append(esc(state)).append("\">");
            h.append("<text x=\"4\" y=\"").append(y + 15).append("\">").append(subkey ? "sub " : "")
                    .append(esc(shortKid(k.kid()))).append(" ").append(esc(state.toLowerCase(Locale.ROOT)))
                    .append("<title>").append(esc(k.kid())).append(" (").append(esc(k.algorithm())).append(")</title></text>");
            for (Segment seg : segments(k, last)) {
                if (!seg.to().isAfter(first) || !seg.from().isBefore(last)) {
                    continue; // outside the window
                }
                double x1 = x.applyAsDouble(seg.from().isBefore(first) ? first : seg.from());
                double x2 = x.applyAsDouble(seg.to().isAfter(last) ? last : seg.to());
                h.append("<rect class=\"seg seg-").append(seg.phase()).append("\" data-phase=\"").append(seg.phase())
                        .append("\" data-from=\"").append(seg.from()).append("\" data-to=\"").append(seg.to())
                        .append("\" x=\"").append(f(x1)).append("\" y=\"").append(y + 4).append("\" width=\"")
                        .append(f(Math.max(1.5, x2 - x1))).append("\" height=\"").append(ROW - 8).append("\"><title>")
                        .append(seg.phase()).append(' ').append(WHEN.format(seg.from())).append(" to ")
                        .append(WHEN.format(seg.to())).append("</title></rect>");
            }
            nextOf(k, now).filter(n -> n.at().isBefore(last)).ifPresent(n -> h.append("<path class=\"next\" data-next=\"").append(n.to()).append("\" d=\"M")
                    .append(f(x.applyAsDouble(n.at()))).append(' ').append(y + 1).append(" l4 -4 l-8 0 z\"><title>")
                    .append(n.to()).append(' ').append(WHEN.format(n.at())).append("</title></path>"));
            h.append("</g>");
        }
        double nx = x.applyAsDouble(now);
        h.append("<rect class=\"future\" x=\"").append(f(nx)).append("\" y=\"").append(TOP).append("\" width=\"")
                .append(f(WIDTH - 10 - nx)).append("\" height=\"").append(height - TOP - 4).append("\"/>");
        h.append("<line id=\"now-line\" class=\"now\" data-time=\"").append(now).append("\" x1=\"").append(f(nx))
                .append("\" x2=\"").append(f(nx)).append("\" y1=\"").append(TOP - 8).append("\" y2=\"").append(height - 2)
                .append("\"><title>now ").append(WHEN.format(now)).append("</title></line></svg>");
    }

    /** A key's next scheduled transition. */
    private record Next(String kid, String to, Instant at) {
    }

    private static java.util.Optional<Next> nextOf(KeyView k, Instant now) {
        String state = k.state().replace("SUBKEY_", "");
        Instant at = switch (state) {
            case "PREPARED" -> k.activates();
            case "ACTIVE" -> k.retires();
            case "RETIRED" -> k.unpublishes();
            case "REVOKED" -> k.destroys();
            default -> null;
        };
        String to = switch (state) {
            case "PREPARED" -> "active";
            case "ACTIVE" -> "retired";
            case "RETIRED" -> "unpublished";
            default -> "destroyed";
        };
        return at == null || at.isBefore(now) ? java.util.Optional.empty()
                : java.util.Optional.of(new Next(k.kid(), to, at));
    }

    private static void next(StringBuilder h, Snapshot s) {
        List<Next> next = shown(s).stream().flatMap(k -> nextOf(k, s.now()).stream())
                .sorted(Comparator.comparing(Next::at)).toList();
        h.append("<h2>Next scheduled transitions</h2>");
        if (next.isEmpty()) {
            h.append("<p>None scheduled.</p>");
            return;
        }
        h.append("<table id=\"next\"><tr><th>when</th><th>in</th><th>key</th><th>becomes</th></tr>");
        for (Next n : next) {
            h.append("<tr><td>").append(WHEN.format(n.at())).append("</td><td>")
                    .append(human(Duration.between(s.now(), n.at()))).append("</td><td><code>").append(esc(n.kid()))
                    .append("</code></td><td>").append(n.to()).append("</td></tr>");
        }
        h.append("</table>");
    }

    private static void issuance(StringBuilder h, Snapshot s) {
        h.append("<h2>Issuance per minter, last hour</h2>");
        if (s.issuance().isEmpty()) {
            h.append("<p id=\"issuance\">No token requests in the last hour.</p>");
            return;
        }
        h.append("<table id=\"issuance\"><tr><th>minter</th><th>issued</th><th>refused</th>"
                + "<th>per minute (green issued, red refused)</th></tr>");
        s.issuance().forEach((minter, series) -> {
            h.append("<tr data-minter=\"").append(esc(minter)).append("\"><td><code>").append(esc(minter))
                    .append("</code></td><td class=\"issued\">").append(series.totalIssued())
                    .append("</td><td class=\"refused\">").append(series.totalRefused()).append("</td><td>");
            spark(h, series);
            h.append("</td></tr>");
        });
        h.append("</table>");
    }

    private static void spark(StringBuilder h, IssuanceWindow.Series series) {
        long max = 1;
        for (int i = 0; i < IssuanceWindow.MINUTES; i++) {
            max = Math.max(max, series.issued()[i] + series.refused()[i]);
        }
        int height = 20;
        h.append("<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"").append(height)
                .append("\">");
        for (int i = 0; i < IssuanceWindow.MINUTES; i++) {
            double ok = height * series.issued()[i] / (double) max;
            double bad = height * series.refused()[i] / (double) max;
            if (ok > 0) {
                h.append("<rect x=\"").append(i * 4).append("\" y=\"").append(f(height - ok)).append("\" width=\"3\" height=\"")
                        .append(f(ok)).append("\"/>");
            }
            if (bad > 0) {
                h.append("<rect class=\"refused\" x=\"").append(i * 4).append("\" y=\"").append(f(height - ok - bad))
                        .append("\" width=\"3\" height=\"").append(f(bad)).append("\"/>");
            }
        }
        h.append("</svg>");
    }

    static String human(Duration d) {
        if (d == null) {
            return "?";
        }
        long s = Math.abs(d.toSeconds());
        String text = s >= 86_400 ? s / 86_400 + "d " + s % 86_400 / 3600 + "h"
                : s >= 3600 ? s / 3600 + "h " + s % 3600 / 60 + "m"
                : s >= 60 ? s / 60 + "m " + s % 60 + "s" : s + "s";
        return d.isNegative() ? "-" + text : text;
    }

    private static String shortKid(String kid) {
        return kid.length() <= 14 ? kid : kid.substring(0, 12) + "…";
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String sha256(String text) {
        try {
            return "sha256-" + Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
