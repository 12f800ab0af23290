package dev.signet.bench;

import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * Signing rates of the candidates for the in-memory signer ({@code InMemorySigning}), side by side in one run:
 * SunEC as a raw JCA {@link Signature}; BouncyCastle and OpenSSL (libcrypto through FFM) as the {@link SigningKey}
 * that {@code InMemorySigning} builds when forced to that provider, so the OpenSSL figure includes the FFM calls,
 * the context pool and the DER → R‖S transcoding. Throughput is per benchmark thread (run with -t 1 for per-core
 * figures).
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SigningBench {

    static final byte[] INPUT = ("eyJhbGciOiJFUzI1NiIsImtpZCI6IngiLCJ0eXAiOiJhdCtqd3QifQ."
            + "eyJpc3MiOiJodHRwczovL3NpZ25ldCIsInN1YiI6ImFnZW50LTciLCJhdWQiOiJodHRwczovL2FwaSJ9")
            .getBytes(StandardCharsets.US_ASCII);

    @Param({"ES256", "EdDSA"})
    public String alg;

    @Param({"SunEC", "BC", "OpenSSL"})
    public String provider;

    Signature raw;
    SigningKey key;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SigningAlgorithm algorithm = SigningAlgorithm.parse(alg);
        switch (provider) {
            case "BC" -> key = InMemorySigning.choose("bc").generate(algorithm);
            case "OpenSSL" -> key = InMemorySigning.choose("openssl").generate(algorithm);
            case "SunEC" -> raw = sunEc(algorithm);
            default -> throw new IllegalArgumentException(provider);
        }
    }

    private static Signature sunEc(SigningAlgorithm algorithm) throws Exception {
        Provider p = java.security.Security.getProvider("SunEC");
        KeyPair pair;
        Signature s;
        if (algorithm == SigningAlgorithm.ES256) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
            g.initialize(new ECGenParameterSpec("secp256r1"));
            pair = g.generateKeyPair();
            s = Signature.getInstance("SHA256withECDSAinP1363Format", p);
        } else {
            pair = KeyPairGenerator.getInstance("Ed25519", p).generateKeyPair();
            s = Signature.getInstance("Ed25519", p);
        }
        s.initSign(pair.getPrivate());
        return s;
    }

    @Benchmark
    public byte[] sign() throws Exception {
        if (key != null) {
            return key.sign(INPUT);
        }
        raw.update(INPUT);
        return raw.sign();
    }
}
