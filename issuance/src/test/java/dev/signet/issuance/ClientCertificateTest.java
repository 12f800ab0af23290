package dev.signet.issuance;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;

import javax.security.auth.x500.X500Principal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientCertificateTest {

    private static PeerIdentity svid(String id) {
        return new PeerIdentity(id, new X500Principal("CN=workload"));
    }

    @Test
    void spiffePatternsFollowTheResourceGrammar() {
        ClientCertificate one = ClientCertificate.spiffeId("spiffe://prod.example/ns/web/*");
        assertTrue(one.matches(svid("spiffe://prod.example/ns/web/front")));
        assertFalse(one.matches(svid("spiffe://prod.example/ns/web/front/x")));
        assertFalse(one.matches(svid("spiffe://dev.example/ns/web/front")), "another trust domain");
        assertFalse(one.matches(new PeerIdentity(null, new X500Principal("CN=x"))), "not an SVID");
        ClientCertificate tree = ClientCertificate.spiffeId("spiffe://prod.example/ns/**");
        assertTrue(tree.matches(svid("spiffe://prod.example/ns/web/front/x")));
        assertEquals("prod.example", tree.trustDomain());
        assertTrue(ClientCertificate.spiffeId("spiffe://prod.example/ns/batch")
                .matches(svid("spiffe://prod.example/ns/batch")));
    }

    @Test
    void refusedSpiffeIds() {
        for (String bad : new String[] {"spiffe://*/ns/web", "spiffe://Prod.example/x", "https://prod.example/x",
                "spiffe://prod.example/ns/../admin", "spiffe://prod.example/ns//web", "spiffe://prod.example/a%2fb",
                "spiffe://prod.example/ns/web-*"}) {
            assertEquals(SignetException.Code.INVALID_ARGUMENT,
                    assertThrows(SignetException.class, () -> ClientCertificate.spiffeId(bad), bad).code(), bad);
        }
        // From a certificate: a wildcard or dot-segment is no identity at all.
        for (String bad : new String[] {"spiffe://prod.example/ns/*", "spiffe://prod.example/ns/../x"}) {
            assertEquals(SignetException.Code.UNAUTHENTICATED,
                    assertThrows(SignetException.class, () -> ClientCertificate.trustDomainOf(bad)).code(), bad);
        }
    }

    @Test
    void subjectsAreComparedCanonically() {
        ClientCertificate c = ClientCertificate.subject("CN=Legacy-Minter, O=Example");
        assertTrue(c.matches(new PeerIdentity(null, new X500Principal("cn=legacy-minter,o=example"))));
        assertFalse(c.matches(new PeerIdentity(null, new X500Principal("CN=legacy-minter,O=Example,C=US"))));
        assertThrows(SignetException.class, () -> ClientCertificate.subject("not a dn"));
    }
}
