package dev.signet.rotation;

import dev.signet.spi.Jwks;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.spi.testing.TestTokens;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Watches a ring the way verifiers do and fails on the first broken promise. At each {@link #observe}
 * it mints a token clamped to the slot's {@code publishedUntil}, remembers every JWKS a verifier could
 * still hold in cache (one fetched at each observation within the max-age), and checks that every
 * outstanding token's kid is published and every cached JWKS knows the signing kid.
 */
final class LifecycleAudit {

    private record Snapshot(Instant fetchedAt, Set<String> kids) {
    }

    private record Token(String kid, Instant exp) {
    }

    private final RotationPolicy policy;
    private final int maxBackendKeys;
    private final Deque<Snapshot> cachedJwks = new ArrayDeque<>();
    private final Deque<Token> outstanding = new ArrayDeque<>();
    private final Map<String, Instant> firstPublished = new HashMap<>();
    private final Set<String> destroyed = new HashSet<>();
    private final Set<String> signers = new HashSet<>();
    private String lastSigner;
    int activations;
    int observations;

    LifecycleAudit(RotationPolicy policy) {
        this.policy = policy;
        // ACTIVE + PREPARED + RETIRED keys for one retention, + one REMOVED not yet destroyed.
        long retiredAtOnce = policy.retention().toNanos() / policy.rotationPeriod().toNanos() + 1;
        this.maxBackendKeys = (int) (2 + retiredAtOnce + 1);
    }

    Set<String> signers() {
        return signers;
    }

    void observe(MasterKeyRing ring, KeyBackend backend, Clock clock) {
        Instant now = clock.instant();
        observations++;
        KeySet set = ring.keySet();
        assertEquals(1, set.keys().stream().filter(k -> k.state() == KeyState.ACTIVE).count(),
                "exactly one ACTIVE key at " + now + ": " + set);

        Set<String> published = ring.published().stream().map(SigningKey::id).collect(Collectors.toSet());
        assertEquals(set.published().stream().map(KeyRecord::kid).collect(Collectors.toSet()), published,
                "the JWKS is the journal's published keys at " + now);
        published.forEach(kid -> firstPublished.putIfAbsent(kid, now));
        cachedJwks.addLast(new Snapshot(now, published));
        while (cachedJwks.peekFirst().fetchedAt().plus(policy.jwksMaxAge()).isBefore(now)) {
            cachedJwks.removeFirst();
        }

        KeyRing.SigningSlot slot = ring.signingSlot();
        String kid = slot.key().id();
        KeyRecord active = set.active().orElseThrow();
        assertEquals(active.kid(), kid, "the slot signs with the ACTIVE key");
        for (Snapshot s : cachedJwks) {
            assertTrue(s.kids().contains(kid), "a verifier that fetched the JWKS at " + s.fetchedAt()
                    + " and caches it for " + policy.jwksMaxAge() + " would not know " + kid + " at " + now);
        }
        if (active.forcedBecause() == null) {
            assertFalse(firstPublished.get(kid).plus(policy.prepublishLead()).isAfter(now),
                    kid + " signs at " + now + " but was published only at " + firstPublished.get(kid));
        }

        Instant exp = now.plus(policy.maxTokenTtl());
        if (exp.isAfter(slot.publishedUntil())) {
            exp = slot.publishedUntil();
        }
        assertTrue(exp.isAfter(now), "a token can still be minted at " + now);
        outstanding.addLast(new Token(kid, exp));
        if (!kid.equals(lastSigner)) {
            activations++;
            lastSigner = kid;
            signers.add(kid);
            mintAndVerify(ring, slot, clock);
        }
        outstanding.removeIf(t -> t.exp().plus(policy.clockSkew()).isBefore(now));
        for (Token t : outstanding) {
            assertTrue(published.contains(t.kid()), "a token signed by " + t.kid() + " valid until " + t.exp()
                    + " (+ skew) cannot be verified at " + now);
        }

        set.keys().stream().filter(k -> k.state() == KeyState.DESTROYED).forEach(k -> destroyed.add(k.kid()));
        List<SigningKey> inBackend = backend.list();
        for (SigningKey k : inBackend) {
            assertFalse(destroyed.contains(k.id()), "destroyed key " + k.id() + " is still in the backend");
        }
        long journaled = inBackend.stream().filter(k -> set.find(k.id()).isPresent()).count();
        assertTrue(journaled <= maxBackendKeys, "journaled keys in the backend " + journaled + " > " + maxBackendKeys);
        assertTrue(set.keys().size() <= maxBackendKeys + 2, "journal grows: " + set.keys().size());
    }

    /** A real token from the issuer, verified with the JWK the ring publishes for its kid. */
    private static void mintAndVerify(MasterKeyRing ring, KeyRing.SigningSlot slot, Clock clock) {
        java.time.Instant exp = clock.instant().plus(java.time.Duration.ofMinutes(5));
        TestTokens.Signed token = TestTokens.sign(slot.key(),
                exp.isAfter(slot.publishedUntil()) ? slot.publishedUntil() : exp);
        SigningKey published = ring.published().stream().filter(k -> k.id().equals(token.kid())).findFirst()
                .orElseGet(() -> fail("kid " + token.kid() + " not published"));
        assertTrue(JwsVerification.verifies(token.token(), Jwks.publicJwk(published)), "token verifies with the JWKS");
    }
}
