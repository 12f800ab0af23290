package dev.signet.ops;

import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run behind the start-up cache (bin/signet runs it once per JDK and release with
 * {@code -XX:AOTCacheOutput}): the classes and code paths of {@code dev}, {@code serve}, {@code keys} and the
 * credential verbs, exercised on a throwaway software-backend daemon on loopback ephemeral ports in a temporary
 * directory, which is deleted afterwards. Nothing of the user's is read or written, except that the example
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
                    .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build());
            if (Files.isReadable(exampleConfig)) {
                SignetConfig.from(Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                        .addSource(ConfigSources.file(exampleConfig)).build());
            }
            try (Daemon daemon = Daemon.start(config, Clock.systemUTC());
                 HttpClient http = HttpClient.newHttpClient()) {
                String base = "http://127.0.0.1:" + daemon.server().port();
                URI adminBase = URI.create("http://127.0.0.1:" + daemon.server().adminPort());
                for (int i = 0; i < 3; i++) {
                    http.send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    HttpResponse<String> minted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/tokens"))
                            .header("Authorization", "Bearer " + minter).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent\",\"aud\":\"https://a.example\","
                                    + "\"ttl\":60,\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (minted.statusCode() != 201) {
                        throw new IOException("the training daemon did not mint: " + minted.body());
                    }
                    http.send(HttpRequest.newBuilder(adminBase.resolve("/observe/health")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    String keys = KeysCommand.call(adminBase, "/v1/keys", admin, false);
                    System.out.print(KeysCommand.table(com.nimbusds.jose.util.JSONObjectUtils.parse(keys), Instant.now()));
                }
                List<String> cli = new ArrayList<>();
                cli.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cli.addAll(cliJvm);
                cli.addAll(List.of("-XX:AOTCacheOutput=" + cliCache, "-cp", System.getProperty("java.class.path"),
                        Signet.class.getName(), "keys", "list", "--admin", adminBase.toString()));
                ProcessBuilder pb = new ProcessBuilder(cli).inheritIO();
                pb.environment().put("SIGNET_ADMIN_TOKEN", admin);
                int exit = pb.start().waitFor();
                if (exit != 0) {
                    throw new IOException("the CLI training run exited with " + exit);
                }
            } catch (java.text.ParseException e) {
                throw new IOException(e);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
