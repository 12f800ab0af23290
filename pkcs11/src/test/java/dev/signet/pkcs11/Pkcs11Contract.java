package dev.signet.pkcs11;

import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendContract;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend contract plus what the PKCS#11 backend promises besides, run on a real SoftHSM2 token and on
 * {@link FakeTokenClient}: keys are recorded with their issuer, and a backend sees only its issuer's keys and keys
 * made before issuers were recorded.
 */
abstract class Pkcs11Contract extends KeyBackendContract {

    static final String ISSUER = "https://issuer.test";

    /** Opens a backend for another issuer over the same token. */
    protected abstract KeyBackend open(String issuer);

    /** A second login to the same token, to write entries the way other (or older) software does. */
    protected abstract TokenClient.Session session() throws Exception;

    @Override
    protected KeyBackend open() {
        return open(ISSUER);
    }

    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.PS256, SigningAlgorithm.RS256);
    }

    @Test
    void eachIssuerSeesOnlyItsOwnKeys() {
        SigningKey mine = backend.generate(SigningAlgorithm.ES256);
        try (KeyBackend other = open("https://other.test")) {
            SigningKey theirs = other.generate(SigningAlgorithm.ES256);
            assertTrue(other.list().stream().anyMatch(k -> k.id().equals(theirs.id())));
            assertFalse(other.list().stream().anyMatch(k -> k.id().equals(mine.id())));
            assertFalse(backend.list().stream().anyMatch(k -> k.id().equals(theirs.id())));
            assertTrue(backend.list().stream().anyMatch(k -> k.id().equals(mine.id())));
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> backend.get(theirs.id())).code());
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> backend.destroy(theirs.id())).code());
            assertEquals(SignetException.Code.NOT_FOUND,
                    assertThrows(SignetException.class, () -> other.get(mine.id())).code());
            assertTrue(JwsVerification.verifies(signCompact(other.get(theirs.id()), "{}"), Jwks.publicJwk(theirs)),
                    "another issuer's key is left alone");
        }
    }

    @Test
    void theIssuerIsRecordedInTheCertificateExactly() throws Exception {
        String awkward = "https://issuer.test/a,b=c+d \"e\"\\f/signet-alg-RS256/ü";
        try (KeyBackend b = open(awkward)) {
            SigningKey key = b.generate(SigningAlgorithm.PS256);
            TokenClient.Session s = session();
            try {
                TokenClient.Entry entry = s.entries().stream().filter(e -> e.label().equals(key.id())).findFirst()
                        .orElseThrow();
                KeyEntry read = KeyEntry.read(entry.label(), entry.certificate()).orElseThrow();
                assertEquals(awkward, read.issuer().orElseThrow());
                assertEquals(SigningAlgorithm.PS256, read.algorithm(), "an issuer naming an algorithm does not confuse it");
                assertEquals(key.id(), read.kid());
            } finally {
                s.logout();
            }
            assertTrue(b.list().stream().anyMatch(k -> k.id().equals(key.id())));
            assertFalse(backend.list().stream().anyMatch(k -> k.id().equals(key.id())));
        }
    }

    @Test
    void aKeyMadeBeforeIssuersWereRecordedStillCountsForAnyIssuer() throws Exception {
        TokenClient.Session s = session();
        String kid;
        try {
            kid = writeLegacyKey(s);
        } finally {
            s.logout();
        }
        backend.close();
        backend = open();
        assertTrue(backend.list().stream().anyMatch(k -> k.id().equals(kid)), "a key from before is this issuer's");
        SigningKey legacy = backend.get(kid);
        assertTrue(JwsVerification.verifies(signCompact(legacy, "{}"), Jwks.publicJwk(legacy)));
        try (KeyBackend other = open("https://other.test")) {
            // Unmarked keys fail closed: every issuer that finds one takes it as a sign that it existed before.
            assertTrue(other.list().stream().anyMatch(k -> k.id().equals(kid)));
        }
        // The token is shared by the tests of a class.
        backend.destroy(kid);
    }

    /** A key as the backend stored it before issuers were recorded: subject {@code CN=signet-alg-ES256} only. */
    static String writeLegacyKey(TokenClient.Session s) throws Exception {
        KeyPair pair = s.generateKeyPair(SigningAlgorithm.ES256);
        String kid = Jwks.thumbprint(pair.getPublic(), SigningAlgorithm.ES256);
        X509Certificate cert = KeyEntry.certificate(pair.getPublic(), SigningAlgorithm.ES256,
                "CN=" + KeyEntry.ALGORITHM_CN_PREFIX + "ES256", s.signer(pair.getPrivate(), SigningAlgorithm.ES256),
                Instant.now());
        s.store(kid, pair.getPrivate(), cert);
        return kid;
    }
}
