package dev.signet.bench;

import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.issuance.ScopeItem;
import dev.signet.issuance.TokenIssuer;
import dev.signet.issuance.TokenRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A whole token (claims JSON, base64url, jti, signature) through {@link TokenIssuer} with a software
 * backend key, next to that same key's bare {@code sign} — the ratio is what issuance costs beyond the
 * signature.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IssuingBench {

    @Param({"ES256", "EdDSA"})
    public String alg;

    static final TokenRequest REQUEST = new TokenRequest("agent-7", "https://api.example.com", Duration.ofMinutes(10),
            List.of(new ScopeItem("repo:acme/widgets", List.of("read", "write"))), Optional.of("task-42"));

    Path dir;
    SigningKey key;
    TokenIssuer issuer;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("signet-bench");
        key = new SoftwareKeyBackend(dir.resolve("k.p12"), "bench".toCharArray(), Clock.systemUTC())
                .generate(SigningAlgorithm.parse(alg));
        issuer = new TokenIssuer("https://signet.bench", Clock.systemUTC());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Benchmark
    public Object issueToken() {
        return issuer.issue(key, "bench", REQUEST, Instant.MAX);
    }

    @Benchmark
    public byte[] keySignOnly() {
        return key.sign(SigningBench.INPUT);
    }
}
