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
import dev.signet.verifier.DpopVerifier;
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
 * signature with the same software key. The client's proof and actor token are made outside the measurement.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ExchangeBench {

    static final String ISSUER = "https://signet.bench";
    static final String HTU = ISSUER + "/v1/token-exchange";

    Path dir;
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
        exchange = new Exchange(issuance, new Minters(List.of(minter)));
        holder = new ECKeyGenerator(Curve.P_256).generate();
        child = new ECKeyGenerator(Curve.P_256).generate();
        parent = issuance.mint(minter, Map.of("sub", "agent-7", "aud", "https://api.example.com", "ttl", 3600,
                "scope", List.of(Map.of("resource", "repo:acme/**", "actions", List.of("read", "write"))),
                "cnf", Map.of("jkt", holder.computeThumbprint().toString()))).token();
        issuerVerifier = new ECDSAVerifier(((com.nimbusds.jose.jwk.ECKey) Jwks.publicJwk(key)));
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

    /** The yardstick: the three verifications and the one signature an exchange cannot avoid. */
    @Benchmark
    public Object rawCrypto() throws Exception {
        boolean ok = parentJws.verify(issuerVerifier) & proofJws.verify(holderVerifier) & actorJws.verify(childVerifier);
        return ok ? key.sign(SigningBench.INPUT) : null;
    }
}
