package dev.signet.pkcs11;

import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.security.KeyPair;
import java.security.PublicKey;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the real client must guarantee about SunPKCS11 beyond what the fake can show, on SoftHSM2. */
class SunPkcs11ClientTest {

    private static SoftHsm.Token token;

    @BeforeAll
    static void token() throws Exception {
        SoftHsm.require();
        token = SoftHsm.initToken("client");
    }

    /**
     * The public half of a generated pair is a session object. Were it collected, SunPKCS11's cleaner would destroy
     * its handle number at some later time, in whatever library generation is current then: after a recovery's
     * re-initialisation that number names another object (it destroyed a signing key's certificate, and
     * Pkcs11FaultTest#repeatedRecoveriesLeaveNoThreadsBehind then found the key gone). So it is never collected.
     */
    @Test
    void aGeneratedPublicKeyIsNeverLeftToTheJdksCleaner() throws Exception {
        SunPkcs11Client client = new SunPkcs11Client(SoftHsm.library().orElseThrow().toString());
        if (find(client).isEmpty()) {
            // The library was loaded by an earlier test, before this token existed.
            client.reinitialize(client.generation());
        }
        TokenClient.Session session = client.login(find(client).orElseThrow(), token.pin().toCharArray());
        WeakReference<PublicKey> generated;
        try {
            generated = generate(session);
        } finally {
            session.logout();
        }
        // A full collection clears every weak reference to an unreachable object before it returns.
        System.gc();
        assertNotNull(generated.get(), "the session public key was collectable, so its cleaner can run");
    }

    private static java.util.Optional<TokenClient.Token> find(TokenClient client) throws Exception {
        return client.tokens().stream().filter(t -> t.label().equals(token.label())).findFirst();
    }

    /** In a method of its own, so that no local variable of the test keeps the pair reachable. */
    private static WeakReference<PublicKey> generate(TokenClient.Session session) throws Exception {
        KeyPair pair = session.generateKeyPair(SigningAlgorithm.ES256);
        assertTrue(pair.getPublic().toString().contains("session object"), pair.getPublic().toString());
        return new WeakReference<>(pair.getPublic());
    }
}
