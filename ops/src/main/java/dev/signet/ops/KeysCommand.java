package dev.signet.ops;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/** {@code signet keys <verb>}: talks to the admin socket with the credential in {@code SIGNET_ADMIN_TOKEN}. */
final class KeysCommand {

    private KeysCommand() {
    }

    static final String USAGE = "keys list | prepare | rotate | activate KID | retire KID | revoke KID"
            + " [--admin http://127.0.0.1:9090]";

    static void run(Deque<String> args) {
        String verb = args.isEmpty() ? "list" : args.pop();
        String admin = "http://127.0.0.1:9090";
        String kid = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (a.equals("--admin") && !args.isEmpty()) {
                admin = args.pop();
            } else if (!a.startsWith("--") && kid == null) {
                kid = a;
            } else {
                Signet.fail("keys: unknown option '" + a + "'; usage: " + USAGE);
            }
        }
        boolean needsKid = java.util.Set.of("activate", "retire", "revoke").contains(verb);
        if (!java.util.Set.of("list", "prepare", "rotate").contains(verb) && !needsKid) {
            Signet.fail("keys: unknown verb '" + verb + "'; usage: " + USAGE);
        }
        if (needsKid != (kid != null)) {
            Signet.fail("keys " + verb + (needsKid ? " needs a KID" : " takes no KID") + "; usage: " + USAGE);
        }
        String token = System.getenv("SIGNET_ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            Signet.fail("keys: set SIGNET_ADMIN_TOKEN to the admin credential (signet dev prints it)");
        }
        String path = switch (verb) {
            case "list" -> "/v1/keys";
            case "prepare", "rotate" -> "/v1/keys/" + verb;
            default -> "/v1/keys/" + java.net.URLEncoder.encode(kid, java.nio.charset.StandardCharsets.UTF_8) + "/" + verb;
        };
        print(call(admin + path, token, !verb.equals("list")));
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> body) {
        Map<String, Object> backend = (Map<String, Object>) body.get("backend");
        if (body.containsKey("replica")) {
            System.out.println("replica: " + body.get("replica"));
        }
        if (body.get("store") instanceof Map<?, ?> store) {
            printStore(store);
        }
        System.out.println("backend: " + backend.get("type")
                + (Boolean.TRUE.equals(backend.get("hardware_protected")) ? " (hardware-protected)" : " (NOT hardware-protected)")
                + (backend.containsKey("degraded") ? "  DEGRADED: " + backend.get("degraded") : ""));
        System.out.printf("%-44s %-6s %-9s %-21s %-21s %-21s%n", "KID", "ALG", "STATE", "ACTIVATES", "RETIRES", "UNPUBLISHES");
        for (Map<String, Object> k : (List<Map<String, Object>>) body.get("keys")) {
            System.out.printf("%-44s %-6s %-9s %-21s %-21s %-21s%n", k.get("kid"), k.get("alg"), k.get("state"),
                    k.getOrDefault("activates", "-"), k.getOrDefault("retires", "-"), k.getOrDefault("unpublishes", "-"));
        }
    }

    /** The journal store; with PostgreSQL, the lease holder and each replica's last journal read. */
    private static void printStore(Map<?, ?> store) {
        StringBuilder line = new StringBuilder("store: " + store.get("type"));
        if (store.containsKey("journal_version")) {
            line.append(", journal v").append(store.get("journal_version"))
                    .append(store.containsKey("written_by") ? " written by " + store.get("written_by") + " at "
                            + store.get("written_at") : "")
                    .append(", lease held by ").append(store.get("lease_holder"))
                    .append(" (epoch ").append(store.get("lease_epoch")).append(")");
        }
        if (store.containsKey("degraded")) {
            line.append("  DEGRADED: ").append(store.get("degraded"));
        }
        System.out.println(line);
        if (store.get("replicas") instanceof List<?> reads) {
            for (Object o : reads) {
                Map<?, ?> r = (Map<?, ?>) o;
                System.out.println("  replica " + r.get("replica") + " read journal v" + r.get("journal_version")
                        + " at " + r.get("read_at"));
            }
        }
    }

    private static Map<String, Object> call(String url, String token, boolean post) {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30));
            HttpResponse<String> res = client.send(post ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Object> body = JSONObjectUtils.parse(res.body());
            if (res.statusCode() != 200) {
                Signet.fail("keys: " + res.statusCode() + " " + body.getOrDefault("detail", ""));
            }
            return body;
        } catch (IOException | ParseException e) {
            Signet.fail("keys: cannot reach the admin socket at " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Map.of();
    }
}
