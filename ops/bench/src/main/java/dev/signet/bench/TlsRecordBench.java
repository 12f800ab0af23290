package dev.signet.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * What TLS 1.3 records cost one single-token exchange, per cipher suite: the client seals the request (the
 * {@code mint.lua} body and headers, 280 bytes), the server opens it, seals the response (headers and one token,
 * 760 bytes) and the client opens that. Two SSLEngines over heap buffers, as Helidon's TlsNioSocket uses them;
 * the server's share is about half of each figure. Sets the records' cost beside the daemon's CPU per request.
 * {@link #main} measures the same in CPU time with the suites interleaved, for a loaded machine.
 */
@State(Scope.Thread)
@Fork(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TlsRecordBench {

    @Param({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    public String suite;

    private SSLEngine client;
    private SSLEngine server;
    private final ByteBuffer request = ByteBuffer.wrap(("POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1:18581\r\n"
            + "Authorization: Bearer bench-minter-12345678901234\r\nContent-Type: application/json\r\n"
            + "Content-Length: 118\r\n\r\n{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
            + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}").getBytes(StandardCharsets.US_ASCII));
    private final ByteBuffer response = ByteBuffer.wrap(new byte[760]);
    private ByteBuffer net;
    private ByteBuffer app;

    @Setup
    public void setup() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = selfSigned(kp);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", kp.getPrivate(), "p".toCharArray(), new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, "p".toCharArray());
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("c", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        server = ctx.createSSLEngine();
        server.setUseClientMode(false);
        client = ctx.createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        for (SSLEngine e : new SSLEngine[] {client, server}) {
            e.setEnabledProtocols(new String[] {"TLSv1.3"});
            e.setEnabledCipherSuites(new String[] {suite});
        }
        int packet = server.getSession().getPacketBufferSize();
        net = ByteBuffer.allocate(packet);
        app = ByteBuffer.allocate(server.getSession().getApplicationBufferSize());
        handshake();
        if (!suite.equals(server.getSession().getCipherSuite())) {
            throw new IllegalStateException("negotiated " + server.getSession().getCipherSuite());
        }
    }

    /**
     * Without JMH, for a loaded machine: the suites interleaved round by round, each timed in this thread's CPU
     * time (not wall time), so other processes' load does not count. Args: [rounds, default 20].
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String[] suites = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};
        TlsRecordBench[] benches = new TlsRecordBench[suites.length];
        for (int i = 0; i < suites.length; i++) {
            benches[i] = new TlsRecordBench();
            benches[i].suite = suites[i];
            benches[i].setup();
        }
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[][] perRound = new long[suites.length][rounds];
        int ops = 20_000;
        for (int r = -5; r < rounds; r++) {   // five rounds of warm-up
            for (int i = 0; i < suites.length; i++) {
                long t0 = threads.getCurrentThreadCpuTime();
                for (int k = 0; k < ops; k++) {
                    benches[i].exchange();
                }
                if (r >= 0) {
                    perRound[i][r] = (threads.getCurrentThreadCpuTime() - t0) / ops;
                }
            }
        }
        for (int i = 0; i < suites.length; i++) {
            long[] sorted = perRound[i].clone();
            java.util.Arrays.sort(sorted);
            System.out.printf("%-30s exchange (client + server, both records): median %d ns CPU, min %d ns%n",
                    suites[i], sorted[rounds / 2], sorted[0]);
        }
    }

    @Benchmark
    public int exchange() throws SSLException {
        return send(client, server, request) + send(server, client, response);
    }

    private int send(SSLEngine from, SSLEngine to, ByteBuffer data) throws SSLException {
        data.rewind();
        net.clear();
        from.wrap(data, net);
        net.flip();
        app.clear();
        to.unwrap(net, app);
        return app.position();
    }

    private void handshake() throws Exception {
        ByteBuffer c2s = ByteBuffer.allocate(65536);
        ByteBuffer s2c = ByteBuffer.allocate(65536);
        ByteBuffer sink = ByteBuffer.allocate(65536);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 100 && !(done(client) && done(server)); i++) {
            step(client, empty, c2s, s2c, sink);
            step(server, empty, s2c, c2s, sink);
        }
        // The server's post-handshake NewSessionTicket: let the client read it before measuring.
        step(client, empty, c2s, s2c, sink);
        if (!done(client) || !done(server)) {
            throw new IllegalStateException("handshake did not finish");
        }
    }

    private static boolean done(SSLEngine e) {
        return e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    private static void step(SSLEngine e, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer sink)
            throws SSLException {
        for (int n = 0; n < 20; n++) {
            switch (e.getHandshakeStatus()) {
                case NEED_WRAP -> e.wrap(empty, out);
                case NEED_TASK -> {
                    Runnable r;
                    while ((r = e.getDelegatedTask()) != null) {
                        r.run();
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN, NOT_HANDSHAKING, FINISHED -> {
                    in.flip();
                    if (in.hasRemaining()) {
                        e.unwrap(in, sink);
                    }
                    boolean progressed = in.position() > 0;
                    in.compact();
                    if (!progressed || e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
                        return;
                    }
                }
            }
        }
    }

    private static X509Certificate selfSigned(KeyPair kp) throws Exception {
        var name = new org.bouncycastle.asn1.x500.X500Name("CN=localhost");
        var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000),
                name, kp.getPublic());
        var signer = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                .build(kp.getPrivate());
        return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }
}
