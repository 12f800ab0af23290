package dev.signet.api;

import com.nimbusds.jose.jwk.ECKey;
import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.signet.api.Delegates.ENDPOINT;
import static dev.signet.api.Delegates.form;
import static dev.signet.api.Delegates.jkt;
import static dev.signet.api.Delegates.newKey;
import static dev.signet.api.Delegates.post;
import static dev.signet.api.Delegates.proof;
import static dev.signet.api.InteropVerifierTest.INTEROP;
import static dev.signet.api.InteropVerifierTest.run;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node service (jose + a few lines) verifies a delegated, bound token and its DPoP proof; wrong proofs fail. */
class ExchangeInteropTest {

    @TempDir
    static Path dataDir;
    static TestDaemon signet;
    static final Clock CLOCK = Clock.systemUTC();
    static final String URL = "https://alpha.example/widgets";

    @BeforeAll
    static void start() {
        signet = new TestDaemon(dataDir, Map.of("signet.max-body-bytes", "16384"));
    }

    @AfterAll
    static void stop() {
        signet.close();
    }

    List<String> command(String token, String proof, String resource, String action) {
        return new ArrayList<>(List.of("node", "verify-delegated.mjs", signet.jwksUrl(), "https://signet.test",
                "https://alpha.example", token, proof, "GET", URL, resource, action));
    }

    @Test
    void nodeJoseVerifiesADelegatedBoundTokenAndItsProof() throws Exception {
        RealBackends.require(Files.isDirectory(INTEROP.resolve("node_modules/jose")), "node jose",
                "run 'npm ci --prefix api/src/test/interop' (.ci/run does)");
        ECKey holder = newKey();
        String parent = (String) json(signet.mint(ALPHA, "{\"sub\":\"principal\",\"aud\":\"https://alpha.example\",\"ttl\":600,"
                + "\"scope\":[{\"resource\":\"repo:alpha/*\",\"actions\":[\"read\",\"write\"]}],\"cnf\":{\"jkt\":\"" + jkt(holder) + "\"}}")).get("token");
        ECKey child = newKey();
        Map<String, String> f = form(parent, child, CLOCK, "sub-agent-1");
        f.put("authorization_details", "[{\"type\":\"signet_resource\",\"identifier\":\"repo:alpha/widgets\",\"actions\":[\"read\"]}]");
        var r = post(signet, f, proof(holder, CLOCK, "POST", ENDPOINT, parent));
        assertEquals(200, r.statusCode(), r.body());
        String token = (String) json(r).get("access_token");

        InteropVerifierTest.Run ok = run(command(token, proof(child, CLOCK, "GET", URL, token), "repo:alpha/widgets", "read"));
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("\"actors\":[\"sub-agent-1\"]") && ok.out().contains("\"depth\":1"), ok.out());

        assertNotEquals(0, run(command(token, proof(child, CLOCK, "GET", URL, token), "repo:alpha/widgets", "write")).exit(),
                "an action the child lacks");
        assertNotEquals(0, run(command(token, proof(holder, CLOCK, "GET", URL, token), "repo:alpha/widgets", "read")).exit(),
                "a proof by the parent's key, not the child's");
        assertNotEquals(0, run(command(token, proof(child, CLOCK, "GET", URL, parent), "repo:alpha/widgets", "read")).exit(),
                "ath over another token");
        assertNotEquals(0, run(command(token, proof(child, CLOCK, "GET", "https://alpha.example/other", token),
                "repo:alpha/widgets", "read")).exit(), "a proof for another URL");
    }
}
