package dev.signet.api;

import dev.signet.issuance.PeerIdentity;
import io.helidon.common.socket.PeerInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a certificate minter's request pays to have its client certificate checked against the current trust
 * anchors: {@code everyRequest} verifies the chain (PKIX, one ECDSA verification) as each request did before,
 * {@code perConnection} is {@link ServingTls#identify(PeerInfo)}, which remembers the answer per connection. In
 * package {@code dev.signet.api} to reach the package-private ServingTls. {@link #main} measures both in CPU time,
 * interleaved, for a loaded machine.
 */
@State(Scope.Thread)
@Fork(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PeerIdentityBench {

    private ServingTls tls;
    private Certificate[] chain;
    private PeerInfo connection;

    @Setup
    public void setup() throws Exception {
        Path dir = Files.createTempDirectory("signet-peer-bench");
        KeyPair caKeys = ec();
        X509Certificate ca = cert("CN=prod.example CA", caKeys, "CN=prod.example CA", caKeys, true, null);
        KeyPair serverKeys = ec();
        X509Certificate server = cert("CN=signet", serverKeys, "CN=prod.example CA", caKeys, false, null);
        KeyPair clientKeys = ec();
        X509Certificate client = cert("CN=workload", clientKeys, "CN=prod.example CA", caKeys, false,
                "spiffe://prod.example/ns/web/front");
        Files.writeString(dir.resolve("server.pem"), pem("CERTIFICATE", server.getEncoded()));
        Files.writeString(dir.resolve("server-key.pem"), pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()));
        Files.writeString(dir.resolve("prod.pem"), pem("CERTIFICATE", ca.getEncoded()));
        tls = new ServingTls(new TlsSettings("signet.tls", dir.resolve("server.pem"), dir.resolve("server-key.pem"),
                null, null, null, List.of("TLSv1.3"), Duration.ofHours(1), Duration.ofDays(14),
                Map.of("prod.example", dir.resolve("prod.pem"))), Clock.systemUTC(), System::getenv);
        chain = new Certificate[] {client, ca};
        connection = new Connection(chain);
        for (Path p : List.of(dir.resolve("server.pem"), dir.resolve("server-key.pem"), dir.resolve("prod.pem"), dir)) {
            Files.delete(p);
        }
    }

    @Benchmark
    public PeerIdentity everyRequest() {
        return tls.identify(chain.clone());
    }

    @Benchmark
    public PeerIdentity perConnection() {
        return tls.identify(connection);
    }

    /** Args: [rounds, default 10]. */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        PeerIdentityBench b = new PeerIdentityBench();
        b.setup();
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] every = new long[rounds];
        long[] cached = new long[rounds];
        for (int r = -3; r < rounds; r++) {   // three rounds of warm-up
            long t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < 2_000; i++) {
                b.everyRequest();
            }
            long t1 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < 200_000; i++) {
                b.perConnection();
            }
            long t2 = threads.getCurrentThreadCpuTime();
            if (r >= 0) {
                every[r] = (t1 - t0) / 2_000;
                cached[r] = (t2 - t1) / 200_000;
            }
        }
        java.util.Arrays.sort(every);
        java.util.Arrays.sort(cached);
        System.out.printf("client certificate checked on every request: median %d ns CPU; once per connection:"
                + " median %d ns CPU a request%n", every[rounds / 2], cached[rounds / 2]);
    }

    private static final class Connection implements PeerInfo {
        private final Certificate[] chain;

        Connection(Certificate[] chain) {
            this.chain = chain;
        }

        public SocketAddress address() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        public String host() {
            return "127.0.0.1";
        }

        public int port() {
            return 40000;
        }

        public Optional<Principal> tlsPrincipal() {
            return Optional.empty();
        }

        public Optional<Certificate[]> tlsCertificates() {
            return Optional.of(chain.clone());
        }
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509Certificate cert(String subject, KeyPair keys, String issuer, KeyPair issuerKeys, boolean ca,
                                        String spiffeId) throws Exception {
        var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(System.nanoTime()),
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000),
                new X500Name(subject), keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (spiffeId != null) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
