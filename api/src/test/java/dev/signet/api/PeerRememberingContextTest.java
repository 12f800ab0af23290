package dev.signet.api;

import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving context's engines: real TLS 1.3 handshakes in memory against {@link ServingTls}'s own context and
 * parameters (as Helidon applies them), with and without a client certificate.
 */
class PeerRememberingContextTest {

    @TempDir
    Path dir;
    TestPki.Issued serverCa;
    TestPki.Issued clientCa;
    ServingTls tls;

    @BeforeEach
    void load() throws Exception {
        serverCa = TestPki.ca("server CA");
        TestPki.server(serverCa, "signet", Duration.ofDays(90)).writePem(dir.resolve("server.pem"),
                dir.resolve("server-key.pem"));
        clientCa = TestPki.ca("prod.example CA");
        Path bundle = dir.resolve("prod.pem");
        Files.writeString(bundle, TestPki.pem(clientCa.cert()));
        tls = new ServingTls(new TlsSettings("signet.tls", dir.resolve("server.pem"), dir.resolve("server-key.pem"),
                null, null, null, List.of("TLSv1.3"), Duration.ofHours(1), Duration.ofDays(14),
                Map.of("prod.example", bundle)), new MutableClock(Instant.now()), System::getenv);
    }

    @Test
    void withoutAClientCertificateTheFirstAnswerIsRethrownForTheSession() throws Exception {
        SSLEngine server = serverEngine();
        exchange(TestPki.trustOnly(serverCa).createSSLEngine("127.0.0.1", 1), server);
        SSLPeerUnverifiedException first = assertThrows(SSLPeerUnverifiedException.class,
                () -> server.getSession().getPeerCertificates());
        for (int i = 0; i < 3; i++) {
            assertSame(first, assertThrows(SSLPeerUnverifiedException.class,
                    () -> server.getSession().getPeerCertificates()));
            assertSame(first, assertThrows(SSLPeerUnverifiedException.class,
                    () -> server.getSession().getPeerPrincipal()));
        }
        assertEquals("TLSv1.3", server.getSession().getProtocol());
        assertInstanceOf(ExtendedSSLSession.class, server.getSession());
    }

    @Test
    void aClientCertificateIsReturnedAsJsseVerifiedIt() throws Exception {
        TestPki.Issued svid = TestPki.svid(clientCa, "spiffe://prod.example/ns/web/front");
        SSLEngine server = serverEngine();
        exchange(svid.clientContext(serverCa).createSSLEngine("127.0.0.1", 1), server);
        for (int i = 0; i < 2; i++) {
            Certificate[] chain = server.getSession().getPeerCertificates();
            assertArrayEquals(svid.chain().toArray(Certificate[]::new), chain);
            assertEquals(svid.cert().getSubjectX500Principal(), server.getSession().getPeerPrincipal());
        }
    }

    @Test
    void aNewSessionIsAskedAfresh() throws Exception {
        SSLEngine server = serverEngine();
        SSLSession before = server.getSession();   // the placeholder session before any handshake
        assertThrows(SSLPeerUnverifiedException.class, before::getPeerCertificates);
        TestPki.Issued svid = TestPki.svid(clientCa, "spiffe://prod.example/ns/web/front");
        exchange(svid.clientContext(serverCa).createSSLEngine("127.0.0.1", 1), server);
        assertNotSame(before, server.getSession());
        assertEquals(svid.cert(), server.getSession().getPeerCertificates()[0]);
    }

    /** A JDK method the wrapper did not delegate would silently fall back to SSLEngine's or SSLSession's default. */
    @Test
    void everyOverridableMethodIsDelegated() {
        assertEquals(List.of(), notOverridden(SSLEngine.class, PeerRememberingContext.Engine.class, Set.of()));
        // Keying-material exporters (JDK 25) are not on release 21's API; their defaults refuse, and Signet
        // exports no keying material.
        assertEquals(List.of(), notOverridden(ExtendedSSLSession.class, PeerRememberingContext.Session.class,
                Set.of("exportKeyingMaterialKey", "exportKeyingMaterialData", "getPeerCertificateChain")));
        assertEquals(List.of(), notOverridden(SSLSession.class, PeerRememberingContext.Session.class,
                Set.of("getPeerCertificateChain")));
    }

    private static List<String> notOverridden(Class<?> api, Class<?> wrapper, Set<String> exempt) {
        List<String> missing = new ArrayList<>();
        for (Method m : api.getDeclaredMethods()) {
            int mod = m.getModifiers();
            if (!Modifier.isPublic(mod) || Modifier.isStatic(mod) || Modifier.isFinal(mod) || exempt.contains(m.getName())) {
                continue;
            }
            try {
                if (wrapper.getDeclaredMethod(m.getName(), m.getParameterTypes()) == null) {
                    missing.add(m.toString());
                }
            } catch (NoSuchMethodException e) {
                missing.add(m.toString());
            }
        }
        return missing;
    }

    /** A server engine as Helidon makes one for a connection. */
    private SSLEngine serverEngine() {
        SSLContext context = tls.tls().sslContext();
        SSLEngine engine = context.createSSLEngine("127.0.0.1", 40000);
        engine.setSSLParameters(tls.tls().sslParameters());
        engine.setUseClientMode(false);
        assertInstanceOf(PeerRememberingContext.Engine.class, engine);
        return engine;
    }

    /** Handshakes in memory, then one request and its response, so the session is the established one. */
    private static void exchange(SSLEngine client, SSLEngine server) throws Exception {
        client.setUseClientMode(true);
        int size = 64 * 1024;
        ByteBuffer toServer = ByteBuffer.allocate(size);
        ByteBuffer toClient = ByteBuffer.allocate(size);
        ByteBuffer clientIn = ByteBuffer.allocate(size);
        ByteBuffer serverIn = ByteBuffer.allocate(size);
        ByteBuffer request = ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer response = ByteBuffer.wrap("HTTP/1.1 204 \r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 100 && (request.hasRemaining() || response.hasRemaining()
                || serverIn.position() == 0 || clientIn.position() == 0); step++) {
            client.wrap(request, toServer);
            runTasks(client);
            toServer.flip();
            server.unwrap(toServer, serverIn);
            toServer.compact();
            runTasks(server);
            if (serverIn.position() > 0 || server.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING) {
                server.wrap(serverIn.position() > 0 ? response : ByteBuffer.allocate(0), toClient);
            }
            runTasks(server);
            toClient.flip();
            client.unwrap(toClient, clientIn);
            toClient.compact();
            runTasks(client);
        }
        assertTrue(serverIn.position() > 0 && clientIn.position() > 0, "the exchange did not complete");
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, server.getHandshakeStatus());
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
