package dev.signet.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.verifier.Attenuation;
import dev.signet.verifier.ChainVerifier;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.StatusCheck;
import dev.signet.verifier.VerifiedChain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Offline verification of chained credentials ({@link ChainVerifier#verify}: the root as a token, then each link's
 * hash, signer, signature, depth, expiry and narrowing) at depth 0 (a plain bound token), 1 and 5, next to one raw
 * ES256 verification (Nimbus, pre-parsed JWS) in the same run. No DPoP proof (one more ES256 verification per
 * use) and no status fetch (a cached list is a bit lookup).
 */
@State(Scope.Thread)
@Fork(value = 1)
public class ChainBench {

    static final String ISSUER = "https://signet.bench";
    static final String AUDIENCE = "https://api.example.com";

    ChainVerifier verifier;
    String token;
    String depth1;
    String depth5;
    JWSObject raw;
    ECDSAVerifier rawVerifier;

    @Setup
    public void setUp() throws Exception {
        Instant now = Instant.now();
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        ECKey issuer = new ECKeyGenerator(Curve.P_256).keyID("k1").algorithm(JWSAlgorithm.ES256).generate();
        ECKey[] holders = new ECKey[6];
        for (int i = 0; i < holders.length; i++) {
            holders[i] = new ECKeyGenerator(Curve.P_256).generate();
        }
        SignedJWT root = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").type(new JOSEObjectType("at+jwt")).build(),
                new JWTClaimsSet.Builder().issuer(ISSUER).subject("agent-7").audience(AUDIENCE).claim("client_id", "m")
                        .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)))
                        .jwtID("jti-1").claim("cnf", Map.of("jkt", DpopVerifier.thumbprint(holders[0].toPublicJWK())))
                        .claim("signet_max_depth", 5)
                        .claim("authorization_details", List.of(Map.of("type", "signet_resource", "identifier", "repo:acme/*",
                                "actions", List.of("read", "write")))).build());
        root.sign(new ECDSASigner(issuer));
        token = root.serialize();
        String chain = token;
        for (int k = 1; k <= 5; k++) {
            chain = Attenuation.attenuate(chain, holders[k - 1], new Attenuation.Step("helper-" + k,
                    holders[k].toPublicJWK(), null, null, Duration.ofMinutes(5)), clock);
            if (k == 1) {
                depth1 = chain;
            }
        }
        depth5 = chain;
        verifier = new ChainVerifier(ISSUER, AUDIENCE, kid -> kid.equals("k1") ? issuer.toPublicJWK() : null, clock,
                Duration.ZERO, new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 16)),
                StatusCheck.UNCHECKED);
        raw = JWSObject.parse(token);
        rawVerifier = new ECDSAVerifier(issuer.toECPublicKey());
        if (verifier.verify(depth5).depth() != 5 || !raw.verify(rawVerifier)) {
            throw new IllegalStateException("the chains must verify");
        }
    }

    /**
     * Interleaved rounds (each kind for ~50 ms, in turn, for {@code args[0]} seconds, 20 by default), so the load
     * of a shared machine falls on all of them alike; prints each kind's operations per second and its ratio to raw.
     */
    public static void main(String[] args) throws Exception {
        ChainBench b = new ChainBench();
        b.setUp();
        List<java.util.concurrent.Callable<Object>> kinds = List.of(b::rawEs256Verify, b::token, b::depth1, b::depth5);
        String[] names = {"rawEs256Verify", "token", "depth1", "depth5"};
        long[] ops = new long[kinds.size()];
        long[] nanos = new long[kinds.size()];
        long end = System.nanoTime() + Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 20).toNanos();
        for (int round = 0; System.nanoTime() < end; round++) {
            for (int k = 0; k < kinds.size(); k++) {
                long start = System.nanoTime();
                long stop = start + 50_000_000L;
                long n = 0;
                long t;
                do {
                    kinds.get(k).call();
                    n++;
                    t = System.nanoTime();
                } while (t < stop);
                if (round > 0) { // the first round warms up
                    ops[k] += n;
                    nanos[k] += t - start;
                }
            }
        }
        double raw = ops[0] * 1e9 / nanos[0];
        for (int k = 0; k < kinds.size(); k++) {
            double perSecond = ops[k] * 1e9 / nanos[k];
            System.out.printf("%-15s %9.1f ops/s  %.2f of raw%n", names[k], perSecond, perSecond / raw);
        }
    }

    @Benchmark
    public boolean rawEs256Verify() throws Exception {
        return raw.verify(rawVerifier);
    }

    @Benchmark
    public VerifiedChain token() {
        return verifier.verify(token);
    }

    @Benchmark
    public VerifiedChain depth1() {
        return verifier.verify(depth1);
    }

    @Benchmark
    public VerifiedChain depth5() {
        return verifier.verify(depth5);
    }
}
