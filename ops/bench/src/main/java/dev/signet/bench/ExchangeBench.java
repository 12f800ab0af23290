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
import dev.signet.audit.AuditTrail;
import dev.signet.issuance.CredentialHash;
import dev.signet.issuance.Exchange;
import dev.signet.issuance.Issuance;
import dev.signet.issuance.Minter;
import dev.signet.issuance.MinterPolicy;
import dev.signet.issuance.Minters;
import dev.signet.rotation.KeyRing;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.Jwks;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.software.InMemorySigning;
import dev.signet.software.P256Verifier;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.Signatures;
import com.nimbusds.jose.jwk.JWK;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One token exchange in process ({@link Exchange}: verify the parent, its DPoP proof and the actor token, check
 * attenuation and policy, sign the child; audit off), next to its raw crypto: three ES256 verifications and one
 * signature with the same software key (ES256 signatures go through OpenSSL, as the daemon's do). The client's proof
 * and actor token are made outside the measurement. {@code verification} chooses who checks ES256 in both the
 * exchange and its yardstick: {@code jdk} (Nimbus over the JDK, the issue's yardstick) or {@code openssl} (the
 * daemon's {@code Signatures.withEs256} over OpenSSL via FFM); {@code verify} is one ES256 check of the parent.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ExchangeBench {

    static final String ISSUER = "https://signet.bench";
    static final String HTU = ISSUER + "/v1/token-exchange";

    @Param({"jdk", "openssl"})
    public String verification;

    Path dir;
    Signatures signatures;
    P256Verifier p256;
    byte[][] issuerPoint;
    byte[][] holderPoint;
    byte[][] childPoint;
    JWK issuerJwk;
    SigningKey key;
    Exchange exchange;
    ECKey holder;
    ECKey child;
    String parent;
    Map<String, String> form;
    String proof;
    ECDSAVerifier issuerVerifier;
    ECDSAVerifier holderVerifier;
    ECDSAVerifier childVerifier;
    JWSObject parentJws;
    JWSObject proofJws;
    JWSObject actorJws;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("signet-bench");
        key = new SoftwareKeyBackend(dir.resolve("k.p12"), "bench".toCharArray(), Clock.systemUTC()).generate(SigningAlgorithm.ES256);
        KeyRing ring = new KeyRing() {
            @Override
            public SigningSlot signingSlot() {
                return new SigningSlot(key, Instant.now().plus(Duration.ofDays(1)));
            }

            @Override
            public List<SigningKey> published() {
                return List.of(key);
            }

            @Override
            public Duration jwksMaxAge() {
                return Duration.ofMinutes(5);
            }

            @Override
            public List<KeyView> describe() {
                return List.of();
            }
        };
        Issuance issuance = new Issuance(ISSUER, ring, Clock.systemUTC(), AuditTrail.NONE);
        MinterPolicy policy = new MinterPolicy(Set.of("https://api.example.com"), List.of("repo:acme/**"),
                Set.of("read", "write"), Duration.ofHours(1), new MinterPolicy.Delegation(true, 5, false));
        Minter minter = new Minter("bench", CredentialHash.of("bench-credential-0123456789abcdef"), policy);
        if (verification.equals("openssl")) {
            p256 = InMemorySigning.choose("openssl").p256Verifier().orElseThrow();
            signatures = Signatures.withEs256(p256::verify, p256.description());
        } else {
            signatures = Signatures.jdk();
        }
        exchange = new Exchange(issuance, new Minters(List.of(minter)), new ReplayCache(Clock.systemUTC(), 1_000_000),
                signatures);
        holder = new ECKeyGenerator(Curve.P_256).generate();
        child = new ECKeyGenerator(Curve.P_256).generate();
        parent = issuance.mint(minter, Map.of("sub", "agent-7", "aud", "https://api.example.com", "ttl", 3600,
                "scope", List.of(Map.of("resource", "repo:acme/**", "actions", List.of("read", "write"))),
                "cnf", Map.of("jkt", holder.computeThumbprint().toString()))).token();
        issuerJwk = Jwks.publicJwk(key);
        issuerVerifier = new ECDSAVerifier((ECKey) issuerJwk);
        issuerPoint = point((ECKey) issuerJwk);
        holderPoint = point(holder);
        childPoint = point(child);
        holderVerifier = new ECDSAVerifier(holder.toPublicJWK());
        childVerifier = new ECDSAVerifier(child.toPublicJWK());
        parentJws = JWSObject.parse(parent);
    }

    @Setup(Level.Invocation)
    public void request() throws Exception {
        String actor = sign(child, "JWT", new JWTClaimsSet.Builder().subject("sub-agent").audience(ISSUER)
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).build());
        proof = sign(holder, "dpop+jwt", new JWTClaimsSet.Builder().claim("htm", "POST").claim("htu", HTU)
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).claim("ath", DpopVerifier.ath(parent)).build());
        form = new HashMap<>(Map.of("grant_type", Exchange.GRANT_TYPE, "subject_token", parent,
                "subject_token_type", Exchange.ACCESS_TOKEN_TYPE, "actor_token", actor, "actor_token_type", Exchange.JWT_TYPE,
                "authorization_details", "[{\"type\":\"signet_resource\",\"identifier\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]"));
        proofJws = JWSObject.parse(proof);
        actorJws = JWSObject.parse(actor);
    }

    private static byte[][] point(ECKey key) {
        return new byte[][] {key.getX().decode(), key.getY().decode()};
    }

    static String sign(ECKey key, String typ, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ))
                .jwk(key.toPublicJWK()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Benchmark
    public Object exchange() {
        return exchange.exchange(form, proof, HTU);
    }

    /**
     * The yardstick: the three verifications and the one signature an exchange cannot avoid, the verifications by
     * {@code verification}'s implementation with the keys already decoded.
     */
    @Benchmark
    public Object rawCrypto() throws Exception {
        boolean ok = p256 == null
                ? parentJws.verify(issuerVerifier) & proofJws.verify(holderVerifier) & actorJws.verify(childVerifier)
                : verify(issuerPoint, parentJws) & verify(holderPoint, proofJws) & verify(childPoint, actorJws);
        return ok ? key.sign(SigningBench.INPUT) : null;
    }

    private boolean verify(byte[][] point, JWSObject jws) {
        return p256.verify(point[0], point[1], jws.getSigningInput(), jws.getSignature().decode());
    }

    /** One ES256 check of the parent as the exchange makes it (the JWK's key conversion included for the JDK). */
    @Benchmark
    public Object verify() {
        signatures.check(parentJws, issuerJwk, "the parent");
        return parentJws;
    }
}
