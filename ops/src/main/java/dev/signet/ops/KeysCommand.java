package dev.signet.ops;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code signet keys <verb>}: talks to the admin socket with the credential in {@code SIGNET_ADMIN_TOKEN}. */
final class KeysCommand {

    private KeysCommand() {
    }

    /** Set from --cacert/--cert/--key for this run; null for the JDK's defaults. */
    static javax.net.ssl.SSLContext tls;

    static final String USAGE = "keys list | prepare | rotate | activate KID | retire KID | revoke KID"
            + " | destroy KID --now [--admin http://127.0.0.1:9090] [--json]"
            + " [--cacert PEM] [--cert PEM --key PEM] | create-wrapping-key --config FILE";

    private static final List<String> TIME_COLUMNS = List.of("activates", "retires", "unpublishes");

    static void run(Deque<String> args) {
        String verb = args.isEmpty() ? "list" : args.pop();
        if (verb.equals("create-wrapping-key")) {
            createWrappingKey(args);
            return;
        }
        String admin = "http://127.0.0.1:9090";
        String kid = null;
        boolean json = false;
        boolean now = false;
        java.nio.file.Path cacert = null;
        java.nio.file.Path cert = null;
        java.nio.file.Path key = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--admin") && !args.isEmpty()) {
                admin = args.pop();
            } else if (a.equals("--cacert") && !args.isEmpty()) {
                cacert = java.nio.file.Path.of(args.pop());
            } else if (a.equals("--cert") && !args.isEmpty()) {
                cert = java.nio.file.Path.of(args.pop());
            } else if (a.equals("--key") && !args.isEmpty()) {
                key = java.nio.file.Path.of(args.pop());
            } else if (a.equals("--json")) {
                json = true;
            } else if (a.equals("--now") && verb.equals("destroy")) {
                now = true;
            } else if (!a.startsWith("--") && kid == null) {
                kid = a;
            } else {
                Signet.fail("keys: unknown option '" + a + "'; usage: " + USAGE);
            }
        }
        boolean needsKid = Set.of("activate", "retire", "revoke", "destroy").contains(verb);
        if (!Set.of("list", "prepare", "rotate").contains(verb) && !needsKid) {
            Signet.fail("keys: unknown verb '" + verb + "'; usage: " + USAGE);
        }
        if (needsKid != (kid != null)) {
            Signet.fail("keys " + verb + (needsKid ? " needs a KID" : " takes no KID") + "; usage: " + USAGE);
        }
        if (verb.equals("destroy") && !now) {
            // Revoked keys are destroyed on their own after rotation.destroy-grace; at once only when asked.
            Signet.fail("keys destroy needs --now: a revoked key is destroyed by itself after rotation.destroy-grace;"
                    + " --now destroys it at once and cannot be undone");
        }
        URI base = adminBase(admin);
        if ((cert == null) != (key == null)) {
            Signet.fail("keys: --cert and --key go together");
        }
        try {
            tls = cacert == null && cert == null ? null : TlsClient.context(cacert, cert, key);
        } catch (IOException e) {
            Signet.fail("keys: " + e.getMessage());
        }
        String token = System.getenv("SIGNET_ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            Signet.fail("keys: set SIGNET_ADMIN_TOKEN to the admin credential (signet dev prints it)");
        }
        String path = switch (verb) {
            case "list" -> "/v1/keys";
            case "prepare", "rotate" -> "/v1/keys/" + verb;
            default -> "/v1/keys/" + java.net.URLEncoder.encode(kid, StandardCharsets.UTF_8) + "/" + verb
                    + (verb.equals("destroy") ? "?now=true" : "");
        };
        String body = call(base, path, token, !verb.equals("list"));
        if (json) {
            System.out.println(body);
        } else {
            System.out.print(table(parse(base, body), Instant.now()));
        }
    }

    /**
     * {@code keys create-wrapping-key --config FILE}: the delegation wrapping key, created in the backend before
     * any replica starts (offline: no daemon, no admin socket).
     */
    private static void createWrappingKey(Deque<String> args) {
        java.nio.file.Path file = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--config") && !args.isEmpty()) {
                file = java.nio.file.Path.of(args.pop());
            } else {
                Signet.fail("keys create-wrapping-key: unknown option '" + a + "'; usage: " + USAGE);
            }
        }
        if (file == null || !java.nio.file.Files.isReadable(file)) {
            Signet.fail("keys create-wrapping-key: --config FILE is required and must be readable"
                    + (file == null ? "" : ": " + file));
        }
        dev.signet.api.SignetConfig config = dev.signet.api.SignetConfig.from(dev.signet.api.SignetConfig.yamlFile(file));
        String id = dev.signet.api.Daemon.createWrappingKey(config, java.time.Clock.systemUTC());
        System.out.println("wrapping key " + config.delegation().wrappingKey() + " is " + id
                + " in the " + config.backendType() + " backend; replicas may now start together");
    }

    /** The admin socket's base URL, or a one-line failure: an operator mistyping it should not see a stack trace. */
    static URI adminBase(String admin) {
        try {
            URI u = new URI(admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && (u.getPath() == null || u.getPath().isEmpty()) && u.getQuery() == null && u.getFragment() == null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        Signet.fail("keys: --admin takes the admin socket's base URL, e.g. http://127.0.0.1:9090, not '" + admin + "'");
        return null;
    }

    /** The key list as aligned columns; times to the second with how far they are from {@code now}. */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> body, Instant now) {
        StringBuilder out = new StringBuilder();
        if (body.containsKey("replica")) {
            out.append("replica: ").append(body.get("replica")).append('\n');
        }
        if (body.get("store") instanceof Map<?, ?> store) {
            store(out, store, now);
        }
        Map<String, Object> backend = (Map<String, Object>) body.getOrDefault("backend", Map.of());
        out.append("backend: ").append(backend.get("type"))
                .append(Boolean.TRUE.equals(backend.get("hardware_protected")) ? " (hardware-protected)" : " (NOT hardware-protected)")
                .append(backend.containsKey("degraded") ? "  DEGRADED: " + backend.get("degraded") : "").append('\n');
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("KID", "ALG", "STATE", "ACTIVATES", "RETIRES", "UNPUBLISHES"));
        for (Map<String, Object> k : (List<Map<String, Object>>) body.getOrDefault("keys", List.of())) {
            List<String> row = new ArrayList<>(List.of(String.valueOf(k.get("kid")), String.valueOf(k.get("alg")),
                    String.valueOf(k.get("state"))));
            for (String column : TIME_COLUMNS) {
                row.add(when((String) k.get(column), now));
            }
            rows.add(row);
        }
        int[] width = new int[rows.getFirst().size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == 0 ? "" : "  ").append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), width[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** The journal store; with PostgreSQL, the lease holder and each replica's last journal read. */
    private static void store(StringBuilder out, Map<?, ?> store, Instant now) {
        out.append("store: ").append(store.get("type"));
        if (store.containsKey("journal_version")) {
            out.append(", journal v").append(store.get("journal_version"))
                    .append(store.containsKey("written_by") ? " written by " + store.get("written_by") + " at "
                            + when((String) store.get("written_at"), now) : "")
                    .append(", lease held by ").append(store.get("lease_holder"))
                    .append(" (epoch ").append(store.get("lease_epoch")).append(")");
        }
        if (store.containsKey("degraded")) {
            out.append("  DEGRADED: ").append(store.get("degraded"));
        }
        out.append('\n');
        if (store.get("replicas") instanceof List<?> reads) {
            for (Object o : reads) {
                Map<?, ?> r = (Map<?, ?>) o;
                out.append("  replica ").append(r.get("replica")).append(" read journal v").append(r.get("journal_version"))
                        .append(" at ").append(when((String) r.get("read_at"), now)).append('\n');
            }
        }
    }

    /** {@code 2026-11-30T07:47:28Z  in 6d 23h}, or {@code -} when the key has no such time. */
    static String when(String iso, Instant now) {
        if (iso == null) {
            return "-";
        }
        try {
            Instant t = Instant.parse(iso).truncatedTo(ChronoUnit.SECONDS);
            return t + "  " + relative(Duration.between(now.truncatedTo(ChronoUnit.SECONDS), t));
        } catch (DateTimeParseException e) {
            return iso;
        }
    }

    /** {@code in 6d 23h}, {@code 2h ago}, {@code now}: the two largest units, rounded towards zero. */
    static String relative(Duration d) {
        long s = Math.abs(d.getSeconds());
        if (s == 0) {
            return "now";
        }
        long[] amounts = {s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60};
        String[] units = {"d", "h", "m", "s"};
        int first = 0;
        while (amounts[first] == 0) {
            first++;
        }
        String text = amounts[first] + units[first]
                + (first < 3 && amounts[first + 1] > 0 ? " " + amounts[first + 1] + units[first + 1] : "");
        return d.isNegative() ? text + " ago" : "in " + text;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    private static Map<String, Object> parse(URI base, String body) {
        try {
            return JSONObjectUtils.parse(body);
        } catch (ParseException e) {
            Signet.fail("keys: " + base + " did not answer with JSON; is it Signet's admin socket?");
            return Map.of();
        }
    }

    /**
     * The response body of a 200, or a one-line failure naming what went wrong and where. HttpURLConnection rather
     * than java.net.http: the latter sets up the default TLS context (the CA store) even for http, a third of a
     * short CLI call's CPU time.
     */
    static String call(URI base, String path, String token, boolean post) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
            if (tls != null && c instanceof javax.net.ssl.HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.getSocketFactory());
            }
            c.setConnectTimeout(5000);
            c.setReadTimeout(30_000);
            c.setRequestProperty("Authorization", "Bearer " + token);
            if (post) {
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(0);
            }
            int status = c.getResponseCode();
            String body;
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (status != 200) {
                Object detail;
                try {
                    detail = JSONObjectUtils.parse(body).getOrDefault("detail", "");
                } catch (ParseException e) {
                    detail = "(not a Signet answer; is " + base + " the admin socket?)";
                }
                Signet.fail("keys: " + status + " " + detail);
            }
            return body;
        } catch (SocketTimeoutException e) {
            Signet.fail("keys: the admin socket at " + base + " did not answer in time");
        } catch (IOException e) {
            Signet.fail("keys: cannot reach the admin socket at " + base + " ("
                    + (e instanceof ConnectException ? "connection refused"
                    : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "): is signet running, and is that its admin address (--admin URL)?");
        }
        return "";
    }
}
