package dev.signet.ops;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.verifier.DpopVerifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code signet attenuate} and {@code signet verify} against {@code signet dev} in its own process: a bound token
 * from the daemon, two links signed offline, the final holder's DPoP proof, and revoking the root.
 */
class AttenuateCommandTest {

    static final String AUD = "https://api.example.com";
    static final String URL = "https://api.example.com/repos/acme/widgets";

    @TempDir
    static Path dir;
    static DevModeProcessTest.Started dev;
    static String issuer;
    static int adminPort;
    static final ECKey[] holders = new ECKey[3];

    record Out(int exit, String stdout, String stderr) {
        Map<String, Object> json() throws Exception {
            return JSONObjectUtils.parse(stdout);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        int port = DevModeProcessTest.freePort();
        adminPort = DevModeProcessTest.freePort();
        dev = DevModeProcessTest.startDev(dir.resolve("data"), Map.of(), "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
        issuer = "http://localhost:" + port;
        for (int i = 0; i < holders.length; i++) {
            holders[i] = new ECKeyGenerator(Curve.P_256).generate();
            Files.writeString(dir.resolve("holder" + i + ".jwk"), holders[i].toJSONString(),
                    java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.setPosixFilePermissions(dir.resolve("holder" + i + ".jwk"), PosixFilePermissions.fromString("rw-------"));
            Files.writeString(dir.resolve("holder" + i + ".pub.jwk"), holders[i].toPublicJWK().toJSONString());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        DevModeProcessTest.stop(dev);
    }

    static synchronized Out run(Function<ArrayDeque<String>, Integer> command, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = command.apply(new ArrayDeque<>(List.of(args)));
            return new Out(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static Out attenuate(String... args) {
        return run(AttenuateCommand::run, args);
    }

    static Out verify(String... args) {
        return run(VerifyCommand::run, args);
    }

    static String rootToken() throws Exception {
        String jkt = DpopVerifier.thumbprint(holders[0].toPublicJWK());
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(issuer.replace("localhost", "127.0.0.1") + "/v1/tokens"))
                    .header("Authorization", "Bearer " + DevModeProcessTest.MINTER).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"" + AUD + "\",\"ttl\":600,"
                            + "\"cnf\":{\"jkt\":\"" + jkt + "\"},\"scope\":[{\"resource\":\"repo:acme/*\",\"actions\":[\"read\",\"write\"]}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, res.statusCode(), res.body());
            return (String) JSONObjectUtils.parse(res.body()).get("token");
        }
    }

    static String proof(ECKey key, String credential) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK()).build(), new JWTClaimsSet.Builder().claim("htm", "GET").claim("htu", URL)
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).claim("ath", DpopVerifier.ath(credential)).build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    @Test
    void anAgentDelegatesOfflineAndAServiceVerifiesTheChain() throws Exception {
        String root = rootToken();
        Path rootFile = dir.resolve("root.jwt");
        Files.writeString(rootFile, root);
        Path one = dir.resolve("one.chain");
        Out a = attenuate("--key", dir.resolve("holder0.jwk").toString(), "--credential", rootFile.toString(),
                "--actor-key", dir.resolve("holder1.pub.jwk").toString(), "--actor", "helper-1", "--audience", AUD,
                "--resource", "repo:acme/widgets", "--action", "read", "--action", "write", "--ttl", "300", "--out", one.toString());
        assertEquals(0, a.exit(), a.stderr());
        assertTrue(a.stderr().contains("wrote a chain of 1 link(s)") && !a.stderr().contains("WARNING"), a.stderr());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(one)));
        Files.setPosixFilePermissions(dir.resolve("holder1.jwk"), PosixFilePermissions.fromString("rw-r--r--"));
        Out b = attenuate("--key", dir.resolve("holder1.jwk").toString(), "--credential", one.toString(),
                "--actor-key", dir.resolve("holder2.pub.jwk").toString(), "--actor", "helper-2",
                "--resource", "repo:acme/widgets", "--action", "read");
        assertEquals(0, b.exit(), b.stderr());
        assertTrue(b.stderr().contains("WARNING") && b.stderr().contains("chmod 600"), b.stderr());
        String chain = b.stdout().strip();
        assertEquals(2, chain.chars().filter(c -> c == '~').count());

        Out ok = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/widgets", "--action", "read",
                "--dpop", proof(holders[2], chain), "--method", "GET", "--url", URL, chain);
        assertEquals(0, ok.exit(), ok.stdout() + ok.stderr());
        Map<String, Object> json = ok.json();
        assertEquals("allow", json.get("decision"));
        Map<?, ?> holder = (Map<?, ?>) json.get("holder");
        assertEquals(2L, ((Number) holder.get("depth")).longValue());
        assertEquals(List.of("helper-2", "helper-1"), holder.get("actors"));
        assertEquals(3, ((List<?>) json.get("chain")).size());

        Out write = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/widgets", "--action", "write",
                "--dpop", proof(holders[2], chain), chain);
        assertEquals(1, write.exit(), write.stdout());
        assertEquals("action_not_granted", write.json().get("reason"));
        Out noProof = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/widgets", "--action", "read", chain);
        assertEquals(1, noProof.exit());
        assertEquals("dpop_required", noProof.json().get("reason"));
        Out wrongHolder = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/widgets", "--action", "read",
                "--dpop", proof(holders[1], chain), chain);
        assertEquals("dpop_invalid", wrongHolder.json().get("reason"));
        Out inspect = verify("--issuer", issuer, chain);
        assertEquals(0, inspect.exit());
        assertEquals("valid", inspect.json().get("decision"));
        Out plain = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/gadgets", "--action", "read",
                "--dpop", proof(holders[0], root), root);
        assertEquals(0, plain.exit(), "a plain token verifies too: " + plain.stdout());
        assertEquals("token", ((Map<?, ?>) plain.json().get("holder")).get("type"));

        // the holder cannot widen, and nobody else can extend
        Out missing = attenuate("--key", dir.resolve("holder2.jwk").toString(), "--credential", dir.resolve("none").toString(),
                "--actor-key", dir.resolve("holder0.pub.jwk").toString(), "--actor", "x");
        assertEquals(2, missing.exit());
        Path chainFile = dir.resolve("two.chain");
        Files.writeString(chainFile, chain);
        Out widened = attenuate("--key", dir.resolve("holder2.jwk").toString(), "--credential", chainFile.toString(),
                "--actor-key", dir.resolve("holder0.pub.jwk").toString(), "--actor", "x", "--resource", "repo:acme/*", "--action", "read");
        assertEquals(2, widened.exit());
        assertTrue(widened.stderr().contains("widened"), widened.stderr());
        Out stranger = attenuate("--key", dir.resolve("holder0.jwk").toString(), "--credential", chainFile.toString(),
                "--actor-key", dir.resolve("holder1.pub.jwk").toString(), "--actor", "x");
        assertEquals(2, stranger.exit());
        assertTrue(stranger.stderr().contains("wrong_signer"), stranger.stderr());
        Out malformed = verify("--issuer", issuer, "not.a~chain");
        assertEquals(2, malformed.exit(), malformed.stdout());
        assertEquals("malformed", malformed.json().get("decision"));

        // revoking the root ends the chain the issuer never saw
        String jti = SignedJWT.parse(root).getJWTClaimsSet().getJWTID();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/v1/revocations"))
                    .header("Authorization", "Bearer " + DevModeProcessTest.ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jti\":\"" + jti + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, res.statusCode(), res.body());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Out revoked;
        do {
            revoked = verify("--issuer", issuer, "--audience", AUD, "--resource", "repo:acme/widgets", "--action", "read",
                    "--dpop", proof(holders[2], chain), "--method", "GET", "--url", URL, chain);
        } while (revoked.exit() == 0 && System.nanoTime() < deadline && pause());
        assertEquals(1, revoked.exit(), revoked.stdout());
        assertEquals("revoked", revoked.json().get("reason"));
    }

    private static boolean pause() {
        try {
            Thread.sleep(200); // polling the served list, bounded by the deadline above
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
