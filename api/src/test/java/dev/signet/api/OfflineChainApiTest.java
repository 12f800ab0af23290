package dev.signet.api;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.spi.testing.MutableClock;
import dev.signet.spi.testing.RealBackends;
import dev.signet.verifier.Attenuation;
import dev.signet.verifier.ChainVectorsTest;
import dev.signet.verifier.ChainVerifier;
import dev.signet.verifier.Decision;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.JwksCache;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.StatusListCache;
import dev.signet.verifier.TokenVerifier;
import dev.signet.verifier.VerifiedToken;
import dev.signet.grammar.ResourcePattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.signet.api.Delegates.jkt;
import static dev.signet.api.Delegates.newKey;
import static dev.signet.api.Delegates.proof;
import static dev.signet.api.InteropVerifierTest.INTEROP;
import static dev.signet.api.InteropVerifierTest.run;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Offline attenuation against the daemon: a token it issued roots a chain of links the agents sign themselves;
 * a service verifies it with the daemon's JWKS and status lists only, and revoking the root ends the chain. Also
 * the chain conformance vectors, here and through node {@code jose}.
 */
class OfflineChainApiTest {

    static final Path VECTORS = Path.of("..", "verifier", "vectors", "chain-vectors.json");
    static final String URL = "https://alpha.example/x";

    @TempDir
    Path dir;
    MutableClock clock;
    TestDaemon signet;

    @BeforeEach
    void start() {
        clock = new MutableClock(Instant.now());
        signet = new TestDaemon(dir, Map.of("signet.minters.0.resources.1", "repo:alpha/**",
                "signet.minters.0.delegation.max-depth", "5"), clock);
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    @Test
    void theDaemonRunsTheChainVectors() throws Exception {
        assertTrue(ChainVectorsTest.run(VECTORS) >= 25);
    }

    @Test
    void nodeJoseWalksEveryChainVectorToTheSameDecision() throws Exception {
        RealBackends.require(Files.isDirectory(INTEROP.resolve("node_modules/jose")), "node jose",
                "run 'npm ci --prefix api/src/test/interop' (.ci/run does)");
        InteropVerifierTest.Run r = run(List.of("node", "verify-chain.mjs", Path.of("..", "..", "..", "..", "verifier",
                "vectors", "chain-vectors.json").toString()));
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("ok ")).count() >= 25, r.out());
    }

    @Test
    void aDepthFiveChainUnderADaemonTokenVerifiesOfflineAndDiesWithItsRoot() throws Exception {
        ECKey[] holders = new ECKey[6];
        for (int i = 0; i < holders.length; i++) {
            holders[i] = newKey();
        }
        HttpResponse<String> minted = signet.mint(ALPHA, "{\"sub\":\"principal-1\",\"aud\":\"https://alpha.example\","
                + "\"ttl\":600,\"task\":\"task-9\",\"scope\":[{\"resource\":\"repo:alpha/x\",\"actions\":[\"read\"]}],"
                + "\"cnf\":{\"jkt\":\"" + jkt(holders[0]) + "\"}}");
        assertEquals(201, minted.statusCode(), minted.body());
        String root = (String) json(minted).get("token");
        assertEquals(5L, SignedJWT.parse(root).getJWTClaimsSet().getClaim("signet_max_depth"));
        String chain = root;
        for (int k = 1; k <= 5; k++) {
            chain = Attenuation.attenuate(chain, holders[k - 1], new Attenuation.Step("helper-" + k,
                    holders[k].toPublicJWK(), null, null, Duration.ofMinutes(5)), clock);
        }
        String restated = Attenuation.attenuate(root, holders[0], new Attenuation.Step("helper-1", holders[1].toPublicJWK(),
                null, List.of(new VerifiedToken.Grant(ResourcePattern.parse("repo:alpha/x"), Set.of("read"))), null), clock);
        System.out.println("a daemon token (" + root.length() + " bytes) and five links keeping its one scope item: "
                + chain.length() + " bytes; a link restating it: " + (restated.length() - root.length() - 1) + " bytes");
        assertTrue(chain.length() < 4096, chain.length() + " bytes");

        HttpClient http = HttpClient.newHttpClient();
        JwksCache keys = new JwksCache(URI.create(signet.jwksUrl()), http, clock, Duration.ofMinutes(1), Duration.ofSeconds(10));
        StatusListCache status = new StatusListCache("https://signet.test", keys,
                uri -> StatusListCache.http(http).fetch(URI.create(signet.base() + uri.getRawPath())), clock,
                Duration.ofSeconds(60), Duration.ZERO);
        ChainVerifier service = new ChainVerifier("https://signet.test", "https://alpha.example", keys, clock,
                Duration.ZERO, new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 1000)), status::check);
        Decision ok = service.authorize(chain, new TokenVerifier.Request("GET", URL, proof(holders[5], clock, "GET", URL, chain)),
                "repo:alpha/x", "read");
        assertTrue(ok.allowed(), ok.toString());
        assertEquals(List.of("helper-5", "helper-4", "helper-3", "helper-2", "helper-1"), service.verify(chain).actors());

        HttpResponse<String> revoked = RevocationApiTest.admin(signet, "POST", "/v1/revocations",
                "{\"jti\":\"" + SignedJWT.parse(root).getJWTClaimsSet().getJWTID() + "\"}");
        assertEquals(201, revoked.statusCode(), revoked.body());
        clock.advance(Duration.ofSeconds(61)); // the service's cached list is older than its ttl
        Decision d = service.authorize(chain, new TokenVerifier.Request("GET", URL, proof(holders[5], clock, "GET", URL, chain)),
                "repo:alpha/x", "read");
        assertEquals("revoked", d.reason(), "the issuer never saw the chain, and it dies with its root: " + d);
    }
}
