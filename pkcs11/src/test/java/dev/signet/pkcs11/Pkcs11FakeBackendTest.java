package dev.signet.pkcs11;

import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract on {@link FakeTokenClient}: what SoftHSM2 checks in {@link Pkcs11BackendTest}, without it. */
class Pkcs11FakeBackendTest extends Pkcs11Contract {

    private static final String LABEL = "fake";
    private static final String PIN = "1234-fake-pin";

    private final FakeTokenClient fake = new FakeTokenClient().withToken(LABEL, PIN);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));

    @Override
    protected KeyBackend open(String issuer) {
        return new Pkcs11KeyBackend(fake, new ManualScheduler(clock), LABEL, PIN.toCharArray(), issuer, clock,
                Pkcs11KeyBackend.Options.defaults());
    }

    @Override
    protected TokenClient.Session session() {
        return fake.login(fake.tokens().getFirst(), PIN.toCharArray());
    }

    @Override
    protected List<String> secrets() {
        return List.of(PIN);
    }

    /** A private key stored under another key's certificate never signs for that kid. */
    @Test
    void aPrivateKeyThatDoesNotMatchItsCertificateRefusesToSign() throws Exception {
        TokenClient.Session s = session();
        KeyPair certified = s.generateKeyPair(SigningAlgorithm.ES256);
        KeyPair other = s.generateKeyPair(SigningAlgorithm.ES256);
        String kid = Jwks.thumbprint(certified.getPublic(), SigningAlgorithm.ES256);
        s.store(kid, other.getPrivate(), KeyEntry.certificate(certified.getPublic(), SigningAlgorithm.ES256,
                KeyEntry.subject(SigningAlgorithm.ES256, ISSUER), s.signer(certified.getPrivate(), SigningAlgorithm.ES256),
                clock.instant()));
        backend.close();
        backend = open();
        SigningKey mismatched = backend.get(kid);
        SignetException e = assertThrows(SignetException.class, () -> mismatched.sign(new byte[]{1}));
        assertEquals(SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }
}
