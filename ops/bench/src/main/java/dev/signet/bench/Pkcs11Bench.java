package dev.signet.bench;

import dev.signet.pkcs11.SoftHsmDevToken;
import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.KeyBackends;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.issuance.TokenIssuer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Direct mode on SoftHSM2, side by side in one run: the raw SunPKCS11 signature on the token (its own
 * provider, one {@link Signature} per thread: the denominator), the same key through
 * {@code Pkcs11KeyBackend}, and a whole token through {@link TokenIssuer}. Needs SOFTHSM2_CONF exported
 * to {@code $SIGNET_BENCH_DIR/softhsm/softhsm2.conf} (ops/bin/bench does it).
 */
@Fork(value = 1, jvmArgsAppend = "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED")
public class Pkcs11Bench {

    @State(Scope.Benchmark)
    public static class Token {
        /** ES256 is SoftHSM2's fastest; RS256 signs at rates closer to a network HSM's. */
        @Param({"ES256"})
        public String alg;

        KeyBackend backend;
        SigningKey key;
        TokenIssuer issuer;
        Provider raw;
        char[] pin;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            Path dir = Path.of(System.getenv("SIGNET_BENCH_DIR"));
            SoftHsmDevToken.Setup setup = new SoftHsmDevToken(System::getenv).ensure(dir);
            Map<String, String> values = new HashMap<>(setup.backendValues());
            backend = KeyBackends.open("pkcs11", new BackendSettings(values, dir, "https://bench", Clock.systemUTC(),
                    System::getenv));
            key = backend.generate(SigningAlgorithm.parse(alg));
            issuer = new TokenIssuer("https://signet.bench", Clock.systemUTC());
            pin = Files.readString(Path.of(values.get("pin-file"))).strip().toCharArray();
            raw = Security.getProvider("SunPKCS11").configure("--name=raw\nlibrary=" + values.get("library")
                    + "\nslotListIndex=0\n");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.close();
        }
    }

    @State(Scope.Thread)
    public static class RawSigner {
        Signature signature;

        @Setup(Level.Trial)
        public void setUp(Token t) throws Exception {
            KeyStore ks = KeyStore.getInstance("PKCS11", t.raw);
            ks.load(null, t.pin);
            signature = Signature.getInstance(JcaSigningKey.jcaName(t.key.algorithm()), t.raw);
            if (t.key.algorithm() == SigningAlgorithm.PS256) {
                JcaSigningKey.setPssParameters(signature);
            }
            signature.initSign((PrivateKey) ks.getKey(t.key.id(), null));
        }
    }

    @Benchmark
    public byte[] rawSunPkcs11Sign(RawSigner s) throws Exception {
        s.signature.update(SigningBench.INPUT);
        return s.signature.sign();
    }

    @Benchmark
    public byte[] backendSign(Token t) {
        return t.key.sign(SigningBench.INPUT);
    }

    @Benchmark
    public Object issueToken(Token t) {
        return t.issuer.issue(t.key, "bench", IssuingBench.REQUEST, Instant.MAX);
    }
}
