package dev.signet.rotation;

import dev.signet.spi.testing.MutableClock;
import com.nimbusds.jose.jwk.JWK;
import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.WrappingKey;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.TestTokens;
import dev.signet.software.InMemorySigning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DelegatedKeyRingTest {

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Fixtures.START);
    final AtomicInteger backendSigns = new AtomicInteger();

    /** The real software backend, counting the signatures it makes (the HSM/KMS calls of delegated mode). */
    KeyBackend countingBackend() {
        KeyBackend real = Fixtures.backend(dir, clock);
        return new KeyBackend() {
            SigningKey counted(SigningKey k) {
                return new SigningKey() {
                    public String id() { return k.id(); }
                    public SigningAlgorithm algorithm() { return k.algorithm(); }
                    public PublicKey publicKey() { return k.publicKey(); }
                    public byte[] sign(byte[] in) {
                        backendSigns.incrementAndGet();
                        return k.sign(in);
                    }
                };
            }
            public String type() { return real.type(); }
            public boolean hardwareProtected() { return real.hardwareProtected(); }
            public Set<SigningAlgorithm> algorithms() { return real.algorithms(); }
            public SigningKey generate(SigningAlgorithm a) { return counted(real.generate(a)); }
            public SigningKey get(String id) { return counted(real.get(id)); }
            public List<SigningKey> list() { return real.list().stream().map(this::counted).toList(); }
            public void destroy(String id) { real.destroy(id); }
        };
    }

    DelegatedKeyRing open(KeyBackend backend) {
        return open(backend, SigningAlgorithm.EdDSA);
    }

    DelegatedKeyRing open(KeyBackend backend, SigningAlgorithm subkeys) {
        return open(backend, subkeys, "r1", null);
    }

    /** Replica {@code replica} of the issuer whose journal is in {@code dir/rotation}. */
    DelegatedKeyRing open(KeyBackend backend, SigningAlgorithm subkeys, String replica, WrappingKey wrapping) {
        LifecycleStore store = new FileLifecycleStore(dir.resolve("rotation"));
        return DelegatedKeyRing.start(() -> MasterKeyRing.start(backend, store, Fixtures.DAILY, clock), store,
                new ReplicaId(replica), InMemorySigning.EPHEMERAL, wrapping, subkeys, Duration.ofHours(1), clock);
    }

    /**
     * AES-GCM in this process, counting its calls: beside the real SoftHSM2 and moto runs
     * ({@code SubkeyWrappingKmsTest}, {@code SubkeyWrappingPkcs11Test}); {@code down} makes it fail as a lost
     * backend would.
     */
    static final class FakeWrappingKey implements WrappingKey {
        final javax.crypto.SecretKey aes;
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean down;

        FakeWrappingKey() {
            try {
                javax.crypto.KeyGenerator g = javax.crypto.KeyGenerator.getInstance("AES");
                g.init(256);
                aes = g.generateKey();
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        public String id() {
            return "fake-wrapping-key";
        }

        byte[] run(int mode, byte[] in) {
            calls.incrementAndGet();
            if (down) {
                throw new SignetException(SignetException.Code.UNAVAILABLE, "the backend is gone");
            }
            try {
                javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
                if (mode == javax.crypto.Cipher.ENCRYPT_MODE) {
                    byte[] iv = new byte[12];
                    new java.security.SecureRandom().nextBytes(iv);
                    c.init(mode, aes, new javax.crypto.spec.GCMParameterSpec(128, iv));
                    byte[] ct = c.doFinal(in);
                    byte[] out = java.util.Arrays.copyOf(iv, 12 + ct.length);
                    System.arraycopy(ct, 0, out, 12, ct.length);
                    return out;
                }
                c.init(mode, aes, new javax.crypto.spec.GCMParameterSpec(128, in, 0, 12));
                return c.doFinal(in, 12, in.length - 12);
            } catch (java.security.GeneralSecurityException e) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "not wrapped by this key");
            }
        }

        public byte[] wrap(byte[] plaintext) {
            return run(javax.crypto.Cipher.ENCRYPT_MODE, plaintext);
        }

        public byte[] unwrap(byte[] wrapped) {
            return run(javax.crypto.Cipher.DECRYPT_MODE, wrapped);
        }
    }


    /** ES256 subkeys are generated inside OpenSSL when it is the in-memory signer, EdDSA ones by BouncyCastle. */
    @ParameterizedTest
    @EnumSource(value = SigningAlgorithm.class, names = {"EdDSA", "ES256"})
    void subkeysArePublishedBeforeTheySignAndRootedInTheMaster(SigningAlgorithm subkeyAlgorithm) throws Exception {
        DelegatedKeyRing ring = open(countingBackend(), subkeyAlgorithm);
        String first = ring.signingSlot().key().id();
        assertEquals(2, ring.signingSlot().key().certificateChain().size(),
                "a new issuer signs with its first subkey at once: nothing was published before it");

        Map<String, Instant> firstPublished = new HashMap<>();
        ring.published().forEach(k -> firstPublished.put(k.id(), clock.instant()));
        Set<String> signers = new HashSet<>();
        int tokens = 0;
        int direct = 0;
        for (int minute = 0; minute < 3 * 24 * 60; minute++) { // three days, a tick a minute
            clock.advance(Duration.ofMinutes(1));
            ring.tick();
            for (SigningKey k : ring.published()) {
                firstPublished.putIfAbsent(k.id(), clock.instant());
            }
            KeyRing.SigningSlot slot = ring.signingSlot();
            SigningKey key = slot.key();
            if (!key.certificateChain().isEmpty()) {
                assertEquals(subkeyAlgorithm, key.algorithm());
            }
            if (!key.certificateChain().isEmpty() && !key.id().equals(first)) {
                Instant since = firstPublished.get(key.id());
                assertTrue(!since.plus(Fixtures.DAILY.prepublishLead()).isAfter(clock.instant()),
                        "subkey " + key.id() + " signs only after being published for the lead");
                List<X509Certificate> chain = key.certificateChain();
                chain.get(0).verify(chain.get(1).getPublicKey());
                chain.get(0).checkValidity(java.util.Date.from(clock.instant()));
                assertEquals(slot.publishedUntil(), chain.get(0).getNotAfter().toInstant(),
                        "the certificate is valid exactly as long as the subkey is published");
                String master = chain.get(1).getSubjectX500Principal().getName().replace("CN=signet master ", "");
                assertTrue(ring.published().stream().anyMatch(k -> k.id().equals(master)), "its master stays published");
            }
            for (int i = 0; i < 10; i++) { // token volume: 43 200 tokens in all
                Instant exp = clock.instant().plus(Duration.ofMinutes(10));
                TestTokens.Signed t = TestTokens.sign(key, exp.isAfter(slot.publishedUntil()) ? slot.publishedUntil() : exp);
                tokens++;
                direct += key.certificateChain().isEmpty() ? 1 : 0;
                if (i == 0) {
                    JWK jwk = ring.published().stream().filter(k -> k.id().equals(t.kid())).map(Jwks::publicJwk)
                            .findFirst().orElseThrow();
                    assertTrue(JwsVerification.verifies(t.token(), jwk));
                    assertEquals(key.certificateChain().size(), jwk.getX509CertChain() == null ? 0 : jwk.getX509CertChain().size());
                }
            }
            signers.add(key.id());
        }
        int subkeys = signers.size();
        assertTrue(subkeys > 60, "about one subkey an hour signed: " + subkeys);
        assertEquals(0, direct, "the master never signed a token");
        // Backend calls follow time, not volume: one certificate per subkey and one per master key.
        int certificates = backendSigns.get() - direct;
        assertTrue(certificates <= subkeys + 2 + 4, certificates + " certificates for " + subkeys + " subkeys");
        assertTrue(certificates >= subkeys, certificates + " certificates for " + subkeys + " subkeys");
        assertEquals(43_200, tokens);
    }

    @Test
    void aRestartKeepsPublishingTheOldSubkeysUntilTheirTokensExpire() {
        DelegatedKeyRing first = open(countingBackend());
        for (int minute = 0; minute < 180; minute++) {
            clock.advance(Duration.ofMinutes(1));
            first.tick();
        }
        SigningKey subkey = first.signingSlot().key();
        assertFalse(subkey.certificateChain().isEmpty());
        Instant until = first.signingSlot().publishedUntil();

        DelegatedKeyRing second = open(countingBackend()); // the restarted process: no private subkeys
        assertNotEquals(subkey.id(), second.signingSlot().key().id(), "a restarted process never signs with the old subkey");
        assertTrue(second.published().stream().anyMatch(k -> k.id().equals(subkey.id())), "but keeps publishing it");
        assertTrue(second.signingSlot().key().certificateChain().isEmpty(),
                "the issuer existed before: its new subkey waits its lead while the master signs");
        clock.advance(Duration.between(clock.instant(), until).plusSeconds(1));
        second.tick();
        assertFalse(second.published().stream().anyMatch(k -> k.id().equals(subkey.id())), "until its tokens have expired");
    }

    @Test
    void aSubkeyJournalCutAtALineBoundaryStopsTheStartInsteadOfDroppingSubkeys() throws Exception {
        DelegatedKeyRing first = open(countingBackend());
        first.tick();
        Path record = dir.resolve("rotation").resolve("subkeys.r1");
        List<String> lines = java.nio.file.Files.readAllLines(record);
        assertTrue(lines.size() >= 5, "header, version, two subkeys, end line: " + lines.size());
        java.nio.file.Files.write(record, lines.subList(0, 3)); // the first subkey only
        dev.signet.spi.SignetException e = assertThrows(dev.signet.spi.SignetException.class,
                () -> open(countingBackend()));
        assertEquals(dev.signet.spi.SignetException.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("damaged subkey journal"), e.getMessage());
    }

    @Test
    void aWrappedSubkeySignsAtOnceAfterARestartWithoutANewCertificate() {
        FakeWrappingKey wrapping = new FakeWrappingKey();
        DelegatedKeyRing first = open(countingBackend(), SigningAlgorithm.ES256, "r1", wrapping);
        for (int minute = 0; minute < 180; minute++) {
            clock.advance(Duration.ofMinutes(1));
            first.tick();
        }
        SigningKey subkey = first.signingSlot().key();
        assertFalse(subkey.certificateChain().isEmpty());
        first.close();
        int signsBefore = backendSigns.get();
        int wrapCallsBefore = wrapping.calls.get();

        DelegatedKeyRing restarted = open(countingBackend(), SigningAlgorithm.ES256, "r1", wrapping);
        KeyRing.SigningSlot slot = restarted.signingSlot();
        assertEquals(subkey.id(), slot.key().id(), "the restarted replica unwraps its ACTIVE subkey and signs with it");
        TestTokens.Signed t = TestTokens.sign(slot.key(), slot.publishedUntil());
        JWK jwk = restarted.published().stream().filter(k -> k.id().equals(t.kid())).map(Jwks::publicJwk)
                .findFirst().orElseThrow();
        assertTrue(JwsVerification.verifies(t.token(), jwk));
        assertEquals(signsBefore, backendSigns.get(), "no certificate, no master signature on restart");
        long live = restarted.describe().stream().filter(v -> v.state().equals("SUBKEY_ACTIVE")
                || v.state().equals("SUBKEY_PREPARED")).count();
        assertEquals(live, wrapping.calls.get() - wrapCallsBefore, "one unwrap per live subkey, nothing else: "
                + restarted.describe());
    }

    @Test
    void aNewReplicaSignsAtOnceWithAnotherReplicasWrappedSubkey() {
        FakeWrappingKey wrapping = new FakeWrappingKey();
        DelegatedKeyRing a = open(countingBackend(), SigningAlgorithm.ES256, "a", wrapping);
        clock.advance(Duration.ofMinutes(5));
        a.tick();
        String aSigns = a.signingSlot().key().id();
        DelegatedKeyRing b = open(countingBackend(), SigningAlgorithm.ES256, "b", wrapping);
        assertEquals(aSigns, b.signingSlot().key().id(), "the new replica signs with a's ACTIVE subkey, not the master");
        assertTrue(b.signingSlot().key().sign(new byte[] {1}).length > 0);
        assertEquals(b.signingSlot().publishedUntil(), a.signingSlot().publishedUntil());
        Set<String> bOwn = new HashSet<>();
        b.published().forEach(k -> bOwn.add(k.id()));
        a.published().forEach(k -> bOwn.remove(k.id()));
        a.tick();
        Set<String> aKids = new HashSet<>();
        a.published().forEach(k -> aKids.add(k.id()));
        Set<String> bKids = new HashSet<>();
        b.published().forEach(k -> bKids.add(k.id()));
        assertEquals(aKids, bKids, "both publish both replicas' subkeys");
    }

    @Test
    void aWrappedSubkeyCannotSignWithoutTheBackendThatWrappedIt() {
        FakeWrappingKey wrapping = new FakeWrappingKey();
        DelegatedKeyRing first = open(countingBackend(), SigningAlgorithm.ES256, "r1", wrapping);
        clock.advance(Duration.ofMinutes(5));
        first.tick();
        String subkey = first.signingSlot().key().id();
        first.close();
        wrapping.down = true;
        DelegatedKeyRing restarted = open(countingBackend(), SigningAlgorithm.ES256, "r1", wrapping);
        assertNotEquals(subkey, restarted.signingSlot().key().id());
        assertTrue(restarted.signingSlot().key().certificateChain().isEmpty(), "the master signs instead");
        assertTrue(restarted.published().stream().anyMatch(k -> k.id().equals(subkey)), "still published for its tokens");
        FakeWrappingKey another = new FakeWrappingKey();
        DelegatedKeyRing elsewhere = open(countingBackend(), SigningAlgorithm.ES256, "r2", another);
        assertNotEquals(subkey, elsewhere.signingSlot().key().id(), "another wrapping key cannot unwrap it either");
    }

    @Test
    void aSubkeyDropsItsPrivatePartWhenItRetiresAndStaysPublished() {
        DelegatedKeyRing ring = open(countingBackend());
        KeyRing.SigningSlot slot = ring.signingSlot();
        SigningKey first = slot.key();
        first.sign(new byte[] {1});
        Instant retires = slot.publishedUntil().minus(Fixtures.DAILY.retention());
        clock.advance(Duration.between(clock.instant(), retires));
        ring.tick();
        assertNotEquals(first.id(), ring.signingSlot().key().id());
        SigningKey published = ring.published().stream().filter(k -> k.id().equals(first.id())).findFirst().orElseThrow();
        assertEquals(first.publicKey(), published.publicKey(), "still published for the tokens it signed");
        SignetException e = assertThrows(SignetException.class, () -> published.sign(new byte[] {1}));
        assertTrue(e.getMessage().contains("no private part"), e.getMessage());
    }

    @Test
    void aReplicaStartedAlongsidePublishesTheFirstSubkeyFromItsFirstJwks() {
        KeyBackend backend = countingBackend();
        DelegatedKeyRing a = open(backend, SigningAlgorithm.EdDSA, "a", null);
        DelegatedKeyRing b = open(backend, SigningAlgorithm.EdDSA, "b", null);
        String firstSubkey = a.signingSlot().key().id();
        assertEquals(2, a.signingSlot().key().certificateChain().size());
        assertTrue(b.published().stream().anyMatch(k -> k.id().equals(firstSubkey)),
                "the replica that did not start the issuer publishes the first subkey before it serves anything");
        assertTrue(b.signingSlot().key().certificateChain().isEmpty(), "and its own subkey waits its lead");
        Set<String> aKids = new HashSet<>();
        a.published().forEach(k -> aKids.add(k.id()));
        String bSubkey = b.published().stream().filter(k -> !aKids.contains(k.id())).findFirst().orElseThrow().id();
        clock.advance(Fixtures.DAILY.prepublishLead());
        a.tick();
        b.tick();
        assertEquals(bSubkey, b.signingSlot().key().id(), "after the lead the replica's own subkey signs");
        assertTrue(a.published().stream().anyMatch(k -> k.id().equals(bSubkey)), "published by the other replica too");
    }

    /** A journal read that fails (PostgreSQL busy, say) on one tick: the only tick a change notification brings. */
    @Test
    void aTickWhoseMasterReadFailsStillPublishesTheOtherReplicasNewSubkey() {
        KeyBackend backend = countingBackend();
        FileLifecycleStore files = new FileLifecycleStore(dir.resolve("rotation"));
        AtomicInteger failLoads = new AtomicInteger();
        LifecycleStore flaky = new LifecycleStore() {
            public KeySet load() {
                if (failLoads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new SignetException(SignetException.Code.UNAVAILABLE, "statement timeout");
                }
                return files.load();
            }
            public boolean issuerStarted() { return files.issuerStarted(); }
            public void compareAndSet(long v, KeySet next) { files.compareAndSet(v, next); }
            public void recordIntent(KeyIntent i) { files.recordIntent(i); }
            public List<KeyIntent> intents() { return files.intents(); }
            public void clearIntent(String id) { files.clearIntent(id); }
            public java.util.Map<String, SubkeySet> loadSubkeys() { return files.loadSubkeys(); }
            public void compareAndSetSubkeys(String r, long v, SubkeySet next) { files.compareAndSetSubkeys(r, v, next); }
            public boolean deleteSubkeys(String r, long v) { return files.deleteSubkeys(r, v); }
            public Lock lock() { return files.lock(); }
        };
        DelegatedKeyRing a = DelegatedKeyRing.start(() -> MasterKeyRing.start(backend, flaky, Fixtures.DAILY, clock),
                flaky, new ReplicaId("a"), InMemorySigning.EPHEMERAL, null, SigningAlgorithm.EdDSA, Duration.ofHours(1),
                clock);
        DelegatedKeyRing b = open(backend, SigningAlgorithm.EdDSA, "b", null);
        Set<String> aKids = new HashSet<>();
        a.published().forEach(k -> aKids.add(k.id()));
        String bSubkey = b.published().stream().filter(k -> !aKids.contains(k.id())).findFirst().orElseThrow().id();

        failLoads.set(1);
        var failed = assertThrows(SignetException.class, a::tick);
        assertEquals(SignetException.Code.UNAVAILABLE, failed.code(), "the master's failure is still reported");
        assertTrue(a.published().stream().anyMatch(k -> k.id().equals(bSubkey)),
                "b's subkey, journaled before the failed tick, is published by a");
    }

    @Test
    void revokingTheMasterRevokesItsSubkeys() {
        DelegatedKeyRing ring = open(countingBackend());
        for (int minute = 0; minute < 90; minute++) {
            clock.advance(Duration.ofMinutes(1));
            ring.tick();
        }
        SigningKey subkey = ring.signingSlot().key();
        String masterKid = subkey.certificateChain().get(1).getSubjectX500Principal().getName().replace("CN=signet master ", "");
        ring.master().revoke(masterKid);
        ring.tick();
        assertFalse(ring.published().stream().anyMatch(k -> k.id().equals(subkey.id()) || k.id().equals(masterKid)));
        assertNotEquals(subkey.id(), ring.signingSlot().key().id());
        assertTrue(ring.signingSlot().key().certificateChain().isEmpty(), "the new master signs until a new subkey is ready");
    }

}
