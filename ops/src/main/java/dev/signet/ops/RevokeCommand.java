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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code signet revoke --jti J | --task T | --sub S | --client-id M [--reason R]}: posts one rule to the admin
 * socket's {@code /v1/revocations} (credential in {@code SIGNET_ADMIN_TOKEN}) and prints the answer.
 */
final class RevokeCommand {

    static final String USAGE = "revoke --jti J | --task T | --sub S | --client-id M [--reason R]"
            + " [--admin http://127.0.0.1:9090] [--cacert PEM] [--cert PEM --key PEM]";

    private RevokeCommand() {
    }

    static void run(Deque<String> args) {
        Map<String, Object> body = new LinkedHashMap<>();
        String admin = "http://127.0.0.1:9090";
        java.nio.file.Path cacert = null;
        java.nio.file.Path cert = null;
        java.nio.file.Path key = null;
        int kinds = 0;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (args.isEmpty()) {
                Signet.fail("revoke: " + a + " needs a value; usage: " + USAGE);
            }
            String v = args.pop();
            switch (a) {
                case "--jti", "--task", "--sub", "--client-id" -> {
                    body.put(a.substring(2).replace('-', '_'), v);
                    kinds++;
                }
                case "--reason" -> body.put("reason", v);
                case "--admin" -> admin = v;
                case "--cacert" -> cacert = java.nio.file.Path.of(v);
                case "--cert" -> cert = java.nio.file.Path.of(v);
                case "--key" -> key = java.nio.file.Path.of(v);
                default -> Signet.fail("revoke: unknown option '" + a + "'; usage: " + USAGE);
            }
        }
        if (kinds != 1) {
            Signet.fail("revoke: name exactly one of --jti, --task, --sub, --client-id; usage: " + USAGE);
        }
        URI base = KeysCommand.adminBase(admin);
        String token = System.getenv("SIGNET_ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            Signet.fail("revoke: set SIGNET_ADMIN_TOKEN to the admin credential (signet dev prints it)");
        }
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        try {
            if (cacert != null || cert != null) {
                builder.sslContext(TlsClient.context(cacert, cert, key));
            }
        } catch (IOException e) {
            Signet.fail("revoke: " + e.getMessage());
        }
        try (HttpClient client = builder.build()) {
            HttpResponse<String> res = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/revocations"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 201) {
                Object detail;
                try {
                    detail = JSONObjectUtils.parse(res.body()).getOrDefault("detail", "");
                } catch (ParseException e) {
                    detail = "(not a Signet answer; is " + base + " the admin socket?)";
                }
                Signet.fail("revoke: " + res.statusCode() + " " + detail);
            }
            System.out.println(res.body());
        } catch (IOException e) {
            Signet.fail("revoke: cannot reach the admin socket at " + base + " (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Signet.fail("revoke: interrupted");
        }
    }
}
