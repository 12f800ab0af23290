package dev.signet.ops;

import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run behind the start-up cache (bin/signet runs it once per JDK and release with
 * {@code -XX:AOTCacheOutput}): the classes and code paths of {@code dev} and {@code serve}, exercised on a
 * throwaway software-backend daemon on loopback ephemeral ports in a temporary directory, which is deleted
 * afterwards; the CLI's ({@code keys}) in a child JVM against it, for the CLI's own cache. Nothing of the user's is read or written, except that the example
 * configuration is parsed.
 */
final class StartupTraining {

    private StartupTraining() {
    }

    /**
     * @param cliCache where the CLI's cache goes: a {@code keys list} in a child JVM with {@code cliJvm} options
     *                 against this daemon trains it
     */
    static void run(Path exampleConfig, Path cliCache, List<String> cliJvm) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("signet-training");
        try {
            String minter = DevMode.randomCredential();
            String admin = DevMode.randomCredential();
            Map<String, String> c = new LinkedHashMap<>();
            c.put("signet.issuer", "http://localhost");
            c.put("signet.port", "0");
            c.put("signet.admin.port", "0");
            c.put("signet.data-dir", dir.toString());
            c.put("signet.admin.credential-hash", CredentialHash.of(admin).text());
            c.put("signet.backend.type", "software");
            c.put("signet.minters.0.name", "training");
            c.put("signet.minters.0.credential-hash", CredentialHash.of(minter).text());
            c.put("signet.minters.0.audiences.0", "*");
            c.put("signet.minters.0.resources.0", "**");
            c.put("signet.minters.0.actions.0", "*");
            SignetConfig config = SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource().disableParserServices().disableMapperServices()
                    .disableFilterServices().addSource(ConfigSources.create(c)).build());
            if (Files.isReadable(exampleConfig)) {
                SignetConfig.from(SignetConfig.yamlFile(exampleConfig));
            }
            try (Daemon daemon = Daemon.start(config, Clock.systemUTC())) {
                int port = daemon.server().port();
                int adminPort = daemon.server().adminPort();
                String mint = "{\"sub\":\"agent\",\"aud\":\"https://a.example\",\"ttl\":60,"
                        + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}";
                for (int i = 0; i < 3; i++) {
                    exchange(port, "GET", "/.well-known/jwks.json", null, null, 200);
                    exchange(port, "POST", "/v1/tokens", minter, mint, 201);
                    exchange(adminPort, "GET", "/observe/health", null, null, 200);
                    exchange(adminPort, "GET", "/v1/keys", admin, null, 200);
                }
                List<String> cli = new ArrayList<>();
                cli.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cli.addAll(cliJvm);
                cli.addAll(List.of("-XX:AOTCacheOutput=" + cliCache, "-cp", System.getProperty("java.class.path"),
                        Signet.class.getName(), "keys", "list", "--admin", "http://127.0.0.1:" + adminPort));
                ProcessBuilder pb = new ProcessBuilder(cli).inheritIO();
                pb.environment().put("SIGNET_ADMIN_TOKEN", admin);
                int exit = pb.start().waitFor();
                if (exit != 0) {
                    throw new IOException("the CLI training run exited with " + exit);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * One HTTP/1.1 request on a fresh loopback connection, its answer read to the end of its body. A raw socket,
     * not an HTTP client: the client's classes would go into the daemon's cache and be opened on every start,
     * though the daemon never runs them.
     */
    private static void exchange(int port, String method, String path, String bearer, String json, int expected)
            throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n");
        if (bearer != null) {
            head.append("Authorization: Bearer ").append(bearer).append("\r\n");
        }
        if (json != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            String status = line(in);
            long length = -1;
            boolean chunked = false;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                String name = h.substring(0, Math.max(h.indexOf(':'), 0)).trim();
                String value = h.substring(h.indexOf(':') + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = value.equalsIgnoreCase("chunked");
                }
            }
            if (chunked) {
                for (long n = Long.parseLong(line(in).split(";")[0].trim(), 16); n > 0;
                     n = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                    in.skipNBytes(n);
                    line(in);
                }
            } else if (length > 0) {
                in.skipNBytes(length);
            }
            if (!status.startsWith("HTTP/1.1 " + expected + " ")) {
                throw new IOException("the training daemon answered " + method + " " + path + " with " + status);
            }
        }
    }

    /** A header line without its CRLF; the connection's end is an error. */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the training daemon closed the connection mid-answer");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
