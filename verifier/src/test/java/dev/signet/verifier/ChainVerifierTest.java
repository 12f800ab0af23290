package dev.signet.verifier;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chains built offline and verified offline: every rule of {@link ChainVerifier}, at every depth. */
class ChainVerifierTest {

    final ChainFixture f = new ChainFixture();
    final ChainVerifier verifier = f.verifier(StatusCheck.UNCHECKED);

    String reason(String credential) {
        return assertThrows(Rejected.class, () -> verifier.verify(credential)).reason();
    }

    Decision use(ChainVerifier v, String credential, int holder, String resource, String action) {
        return v.authorize(credential, new TokenVerifier.Request("GET", ChainFixture.URI, f.proof(credential, holder)),
                resource, action);
    }

    @Test
    void aChainBuiltOfflineVerifiesAndItsFinalHolderActs() {
        String root = f.root(5);
        String c = f.attenuate(root, 1, "repo:acme/widgets", "read,write");
        c = f.attenuate(c, 2, "repo:acme/widgets", "read");
        c = f.attenuate(c, 3);
        VerifiedChain chain = verifier.verify(c);
        assertEquals(3, chain.depth());
        assertEquals(List.of("helper-3", "helper-2", "helper-1"), chain.actors());
        assertEquals(ChainFixture.jkt(f.holders.get(3)), chain.boundJkt().orElseThrow());
        assertEquals(ChainFixture.AUDIENCE, chain.audience());

        assertEquals(Decision.allow(), use(verifier, c, 3, "repo:acme/widgets", "read"));
        assertEquals("action_not_granted", use(verifier, c, 3, "repo:acme/widgets", "write").reason());
        assertEquals("resource_not_granted", use(verifier, c, 3, "repo:acme/gadgets", "read").reason());
        assertEquals("dpop_invalid", use(verifier, c, 2, "repo:acme/widgets", "read").reason(), "an earlier holder's key");
        assertEquals("dpop_required", verifier.authorize(c, null, "repo:acme/widgets", "read").reason());
        assertEquals("dpop_ath", verifier.authorize(c, new TokenVerifier.Request("GET", ChainFixture.URI,
                f.proof(root, 3)), "repo:acme/widgets", "read").reason(), "ath covers the whole chain, not the root");
    }

    @Test
    void aReplayedProofIsRefused() {
        String c = f.chain(f.root(5), 2);
        String proof = f.proof(c, 2);
        TokenVerifier.Request request = new TokenVerifier.Request("GET", ChainFixture.URI, proof);
        assertTrue(verifier.authorize(c, request, "repo:acme/widgets", "read").allowed());
        assertEquals("dpop_replay", verifier.authorize(c, request, "repo:acme/widgets", "read").reason());
    }

    @Test
    void everyWideningAtEveryDepthIsRefused() {
        for (int k = 1; k <= TokenVerifier.MAX_DEPTH; k++) {
            String prefix = f.chain(f.root(5), k - 1);
            Map<String, Object> action = f.linkClaims(prefix, k, "repo:acme/widgets", "read,delete");
            assertEquals("widened", reason(f.forge(prefix, k, action)), "an action at depth " + k);
            Map<String, Object> resource = f.linkClaims(prefix, k, "repo:acme/**", "read");
            assertEquals("widened", reason(f.forge(prefix, k, resource)), "a resource pattern at depth " + k);
            Map<String, Object> other = f.linkClaims(prefix, k, "repo:other/widgets", "read");
            assertEquals("widened", reason(f.forge(prefix, k, other)), "another resource at depth " + k);
            Map<String, Object> longer = f.linkClaims(prefix, k);
            longer.put("exp", ChainFixture.NOW + 100_000);
            assertEquals("widened", reason(f.forge(prefix, k, longer)), "a later exp at depth " + k);
            Map<String, Object> aud = f.linkClaims(prefix, k);
            aud.put("aud", "https://other.example.com");
            assertEquals("widened", reason(f.forge(prefix, k, aud)), "another audience at depth " + k);
            Map<String, Object> fine = f.linkClaims(prefix, k);
            assertEquals(k, verifier.verify(f.forge(prefix, k, fine)).depth(), "the same link, narrowed, at depth " + k);
        }
    }

    @Test
    void aLinkSignedByAnyKeyButTheBoundOneIsRefused() {
        for (int k = 1; k <= TokenVerifier.MAX_DEPTH; k++) {
            String prefix = f.chain(f.root(5), k - 1);
            Map<String, Object> claims = f.linkClaims(prefix, k);
            for (int signer = 0; signer < f.holders.size(); signer++) {
                if (signer != k - 1) {
                    assertEquals("wrong_signer", reason(ChainFixture.forge(prefix, f.holders.get(signer), Chain.LINK_TYPE, claims)),
                            "link " + k + " signed by holder " + signer);
                }
            }
            assertEquals("wrong_signer", reason(ChainFixture.forge(prefix, f.issuerKey, Chain.LINK_TYPE, claims)),
                    "link " + k + " signed by the issuer's key");
        }
    }

    @Test
    void aSignatureByAnotherKeyUnderTheBoundKeysHeaderIsRefused() {
        String root = f.root(5);
        String good = f.attenuate(root, 1);
        String[] jws = good.substring(root.length() + 1).split("\\.");
        String other = f.attenuate(root, 1, "repo:acme/widgets", "read").substring(root.length() + 1);
        String swapped = root + "~" + jws[0] + "." + other.split("\\.")[1] + "." + jws[2];
        assertEquals("bad_signature", reason(swapped));
    }

    @Test
    void splicedReorderedAndDroppedLinksAreRefused() {
        String a = f.chain(f.root(5), 3);
        List<String> parts = Chain.split(a);
        ChainFixture g = new ChainFixture();
        // a second root for the same first holder, from the same issuer: its links verify alone
        String other = f.root(5, "repo:acme/*", "read,write");
        String b = f.chain(other, 2);
        assertEquals(2, verifier.verify(b).depth());
        List<String> bParts = Chain.split(b);
        assertEquals("broken_chain", reason(String.join("~", parts.get(0), bParts.get(1), bParts.get(2))), "root of a, links of b");
        assertEquals("broken_chain", reason(String.join("~", parts.get(0), parts.get(1), bParts.get(2))), "spliced at link 2");
        assertEquals("broken_chain", reason(String.join("~", parts.get(0), parts.get(2), parts.get(1), parts.get(3))), "reordered");
        assertEquals("broken_chain", reason(String.join("~", parts.get(0), parts.get(1), parts.get(3))), "link 2 dropped");
        assertEquals("broken_chain", reason(String.join("~", parts.get(0), parts.get(2), parts.get(3))), "link 1 dropped");
        assertEquals(3, verifier.verify(a).depth());
        assertFalse(g.issuerKey.equals(f.issuerKey));
    }

    @Test
    void depthIsCappedByFiveAndByTheRootsMinter() {
        String capped = f.chain(f.root(2), 2);
        assertEquals(2, verifier.verify(capped).depth());
        Map<String, Object> third = f.linkClaims(capped, 3);
        assertEquals("too_deep", reason(f.forge(capped, 3, third)));
        assertEquals("too_deep", assertThrows(Rejected.class, () -> f.attenuate(capped, 3)).reason(), "the builder refuses too");

        String five = f.chain(f.root(5), 5);
        assertEquals(5, verifier.verify(five).depth());
        assertEquals("too_deep", reason(f.forge(five, 6, f.linkClaims(five, 6))));

        // a root already at exchange depth 4 with cap 5 has one link left
        String exchanged = f.sign(f.rootClaims(5).claim("act", Map.of("sub", "x", "act", Map.of("sub", "y",
                "act", Map.of("sub", "z", "act", Map.of("sub", "w"))))).claim("signet_parent_jti", "p").claim("signet_depth", 4).build());
        String one = f.attenuate(exchanged, 1);
        assertEquals(5, verifier.verify(one).depth());
        assertEquals(List.of("helper-1", "x", "y", "z", "w"), verifier.verify(one).actors());
        assertEquals("too_deep", reason(f.forge(one, 2, f.linkClaims(one, 2))), "depth counts from the root's signet_depth");
        assertEquals("too_deep", assertThrows(Rejected.class, () -> f.attenuate(one, 2)).reason());
    }

    @Test
    void aRootWithoutACapOrABindingStartsNoChain() {
        String uncapped = f.root(0);
        assertEquals("delegation_not_allowed", assertThrows(Rejected.class, () -> f.attenuate(uncapped, 1)).reason());
        assertEquals("delegation_not_allowed", reason(f.forge(uncapped, 1, f.linkClaims(uncapped, 1))));
        String bearer = f.sign(VectorWriter.claims().claim(Chain.MAX_DEPTH_CLAIM, 3).build());
        assertEquals("delegation_not_allowed", reason(f.forge(bearer, 1, f.linkClaims(bearer, 1))));
    }

    @Test
    void expiredLinksAndFutureLinksAreRefused() {
        for (int k = 1; k <= 3; k++) {
            String prefix = f.chain(f.root(5), k - 1);
            Map<String, Object> expired = f.linkClaims(prefix, k);
            expired.put("exp", ChainFixture.NOW - 1);
            assertEquals("expired", reason(f.chain(f.forge(prefix, k, expired), 0)), "link " + k);
            Map<String, Object> future = f.linkClaims(prefix, k);
            future.put("iat", ChainFixture.NOW + 30);
            assertEquals("not_yet_valid", reason(f.forge(prefix, k, future)), "link " + k);
        }
        String root = f.sign(f.rootClaims(5).expirationTime(ChainFixture.at(ChainFixture.NOW - 1)).build());
        assertEquals("expired", reason(f.forge(root, 1, f.linkClaims(root, 1))));
    }

    @Test
    void aLinkIsNeverAnAccessTokenNorATokenALink() {
        String root = f.root(5);
        String c = f.attenuate(root, 1);
        String link = Chain.split(c).get(1);
        TokenVerifier tokens = new TokenVerifier(ChainFixture.ISSUER, ChainFixture.AUDIENCE, kid -> f.issuerKey.toPublicJWK(),
                f.clock, java.time.Duration.ZERO, null);
        assertEquals("wrong_typ", assertThrows(Rejected.class, () -> tokens.verify(link)).reason());
        assertEquals("wrong_typ", reason(ChainFixture.forge(root, f.holders.getFirst(), "at+jwt", f.linkClaims(root, 1))));
        assertEquals("wrong_typ", reason(ChainFixture.forge(root, f.holders.getFirst(), "dpop+jwt", f.linkClaims(root, 1))));
        assertEquals("wrong_typ", reason(link + "~" + link), "a link as the root");
    }

    @Test
    void theStatusOfTheRootIsChecked() {
        String c = f.chain(f.root(5), 3);
        List<String> checked = new ArrayList<>();
        ChainVerifier revoking = f.verifier(t -> {
            checked.add(t.jti());
            throw new Rejected("revoked", "the root token is revoked");
        });
        assertEquals("revoked", use(revoking, c, 3, "repo:acme/widgets", "read").reason());
        assertEquals("revoked", use(revoking, Chain.split(c).getFirst(), 0, "repo:acme/widgets", "read").reason(), "a plain token too");
        assertEquals(2, checked.size());
        assertEquals(checked.get(0), checked.get(1), "the root's jti both times");
    }

    @Test
    void theBuilderRefusesWhatVerifiersWould() {
        String root = f.root(5);
        assertEquals("widened", assertThrows(Rejected.class, () -> f.attenuate(root, 1, "repo:acme/**", "read")).reason());
        assertEquals("wrong_signer", assertThrows(Rejected.class, () -> Attenuation.attenuate(root, f.holders.get(1),
                new Attenuation.Step("x", f.holders.get(2).toPublicJWK(), null, null, null), f.clock)).reason());
        assertEquals("widened", assertThrows(Rejected.class, () -> Attenuation.attenuate(root, f.holders.getFirst(),
                new Attenuation.Step("x", f.holders.get(1).toPublicJWK(), "https://other.example.com", null, null), f.clock)).reason());
        String c = Attenuation.attenuate(root, f.holders.getFirst(),
                new Attenuation.Step("x", f.holders.get(1).toPublicJWK(), null, null, java.time.Duration.ofDays(1)), f.clock);
        assertEquals(verifier.verify(root).root().expiresAt(), verifier.verify(c).expiresAt(), "a link never outlives its root");
    }

    @Test
    void anRsaHolderSignsItsLinkWithPs256() throws Exception {
        com.nimbusds.jose.jwk.RSAKey rsa = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).generate();
        String root = f.sign(f.rootClaims(5).claim("cnf", Map.of("jkt", DpopVerifier.thumbprint(rsa.toPublicJWK()))).build());
        String c = Attenuation.attenuate(root, rsa, new Attenuation.Step("helper-1", f.holders.get(1).toPublicJWK(),
                null, null, null), f.clock);
        assertEquals("PS256", com.nimbusds.jose.JWSObject.parse(Chain.split(c).get(1)).getHeader().getAlgorithm().getName());
        assertEquals(List.of("helper-1"), verifier.verify(c).actors());
        assertEquals("wrong_signer", reason(ChainFixture.forge(root, f.holders.getFirst(), Chain.LINK_TYPE, f.linkClaims(root, 1))));
    }

    @Test
    void malformedCredentialsAreMalformed() {
        String c = f.chain(f.root(5), 1);
        assertEquals("malformed", reason(c + "~"));
        assertEquals("malformed", reason("~" + c));
        assertEquals("malformed", reason(c.replace("~", "~~")));
        assertEquals("malformed", reason(c + "~not.a.jws"));
        assertEquals("too_deep", reason(c + "~x".repeat(10)), "refused before parsing");
    }

    @Test
    void depthFiveWithOneScopeItemIsUnderFourKilobytes() {
        String root = f.root(5, "repo:acme/widgets", "read");
        String c = f.chain(root, 5);
        String restated = root;
        for (int k = 1; k <= 5; k++) {
            restated = f.attenuate(restated, k, "repo:acme/widgets", "read");
        }
        assertEquals(verifier.verify(c).grants(), verifier.verify(restated).grants());
        System.out.println("chain of depth 5, one scope item, ES256 holders: " + c.length() + " bytes (root "
                + root.length() + "); every link restating the scope item: " + restated.length() + " bytes");
        assertTrue(c.length() < 4096, c.length() + " bytes");
    }
}
