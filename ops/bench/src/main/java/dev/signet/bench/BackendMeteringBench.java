package dev.signet.bench;

import dev.signet.api.MeteredKeyBackend;
import dev.signet.software.SoftwareKeyBackend;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the backend call metrics cost a signature: the daemon wraps its backend in {@link MeteredKeyBackend}, one
 * histogram record per backend call. {@code key=noop} signs nothing, so its raw/metered difference is the
 * wrapper's own cost in ns; {@code key=ES256} puts that beside a real software-backend signature.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BackendMeteringBench {

    @Param({"noop", "ES256"})
    public String key;

    @Param({"raw", "metered"})
    public String wrap;

    Path dir;
    SigningKey signer;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("signet-bench");
        KeyBackend backend = key.equals("noop") ? new NoopBackend()
                : new SoftwareKeyBackend(dir.resolve("k.p12"), "bench".toCharArray(), Clock.systemUTC());
        String id = backend.generate(SigningAlgorithm.ES256).id();
        signer = (wrap.equals("metered") ? MeteredKeyBackend.wrap(backend) : backend).get(id);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Benchmark
    public byte[] sign() {
        return signer.sign(SigningBench.INPUT);
    }

    /** A backend whose one key returns a fixed signature: what is left is the call path. */
    static final class NoopBackend implements KeyBackend {
        static final byte[] SIGNATURE = new byte[64];
        final SigningKey only = new SigningKey() {
            public String id() {
                return "noop";
            }

            public SigningAlgorithm algorithm() {
                return SigningAlgorithm.ES256;
            }

            public PublicKey publicKey() {
                return null;
            }

            public byte[] sign(byte[] input) {
                return SIGNATURE;
            }
        };

        public String type() {
            return "noop";
        }

        public boolean hardwareProtected() {
            return false;
        }

        public Set<SigningAlgorithm> algorithms() {
            return Set.of(SigningAlgorithm.ES256);
        }

        public SigningKey generate(SigningAlgorithm algorithm) {
            return only;
        }

        public SigningKey get(String id) {
            return only;
        }

        public List<SigningKey> list() {
            return List.of(only);
        }

        public void destroy(String id) {
        }
    }
}
