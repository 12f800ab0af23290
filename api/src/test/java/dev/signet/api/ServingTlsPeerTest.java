package dev.signet.api;

import dev.signet.issuance.PeerIdentity;
import dev.signet.spi.SignetException;
import dev.signet.spi.testing.MutableClock;
import io.helidon.common.socket.PeerInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection's client certificate is read and verified once, and verified again whenever the answer could
 * differ: after a reload of the trust bundles and when the clock leaves the chain's validity.
 */
class ServingTlsPeerTest {

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    TestPki.Issued prodCa;
    ServingTls tls;
    Path bundle;

    /** A connection whose certificate reads are counted. */
    static final class Connection implements PeerInfo {
        final Certificate[] chain;
        int reads;

        Connection(TestPki.Issued client) {
            chain = client == null ? null : client.chain().toArray(Certificate[]::new);
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
            reads++;
            return Optional.ofNullable(chain == null ? null : chain.clone());
        }
    }

    @BeforeEach
    void load() throws Exception {
        TestPki.Issued serverCa = TestPki.ca("server CA");
        TestPki.server(serverCa, "signet", Duration.ofDays(90)).writePem(dir.resolve("server.pem"),
                dir.resolve("server-key.pem"));
        prodCa = TestPki.ca("prod.example CA");
        bundle = dir.resolve("prod.pem");
        Files.writeString(bundle, TestPki.pem(prodCa.cert()));
        tls = new ServingTls(new TlsSettings("signet.tls", dir.resolve("server.pem"), dir.resolve("server-key.pem"),
                null, null, null, List.of("TLSv1.3"), Duration.ofHours(1), Duration.ofDays(14),
                Map.of("prod.example", bundle)), clock, System::getenv);
    }

    @Test
    void aConnectionsCertificateIsReadOnceAndItsAnswerKept() {
        Connection svid = new Connection(TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front"));
        Connection none = new Connection(null);
        for (int i = 0; i < 3; i++) {
            PeerIdentity id = tls.identify(svid);
            assertEquals("spiffe://prod.example/ns/web/front", id.spiffeId());
            assertNull(tls.identify(none));
        }
        assertEquals(1, svid.reads);
        assertEquals(1, none.reads);
    }

    @Test
    void aReloadThatReplacesTheBundleRefusesAnOpenConnection() throws Exception {
        Connection svid = new Connection(TestPki.svid(prodCa, "spiffe://prod.example/ns/web/front"));
        tls.identify(svid);
        Files.writeString(bundle, TestPki.pem(TestPki.ca("new prod.example CA").cert()));
        assertTrue(tls.poll());
        SignetException e = assertThrows(SignetException.class, () -> tls.identify(svid));
        assertTrue(e.getMessage().contains("does not verify against trust domain prod.example"), e.getMessage());
        // Refusals are not remembered: the old bundle back, the same connection is accepted again.
        Files.writeString(bundle, TestPki.pem(prodCa.cert()));
        assertTrue(tls.poll());
        assertEquals("spiffe://prod.example/ns/web/front", tls.identify(svid).spiffeId());
        assertEquals(1, svid.reads);
    }

    @Test
    void aCertificateThatExpiresOnAnOpenConnectionIsRefusedFromThen() {
        Instant notAfter = clock.instant().plus(Duration.ofHours(1));
        Connection client = new Connection(TestPki.client(prodCa, "CN=legacy,O=Example",
                clock.instant().minusSeconds(60), notAfter));
        assertEquals("CN=legacy,O=Example", tls.identify(client).subject().getName());
        clock.set(notAfter.minusSeconds(1));
        assertEquals("CN=legacy,O=Example", tls.identify(client).subject().getName());
        clock.set(notAfter.plusSeconds(1));
        SignetException e = assertThrows(SignetException.class, () -> tls.identify(client));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    }
}
