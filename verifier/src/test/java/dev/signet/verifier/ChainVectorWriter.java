package dev.signet.verifier;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes vectors/chain-vectors.json (run with {@code -Dsignet.vectors.write=true}): chained credentials
 * (verifier/README.md) and what a service decides for each; {@link ChainVectorsTest} runs it, and so do the
 * daemon's tests and the node interop check. Fresh keys each time.
 */
@EnabledIfSystemProperty(named = "signet.vectors.write", matches = "true")
class ChainVectorWriter {

    static final String LIST = StatusVectorWriter.LISTS + "r1-0";

    final ChainFixture f = new ChainFixture();
    final VectorWriter v = new VectorWriter();

    String root(int maxDepth, int statusIdx) {
        JWTClaimsSet.Builder b = f.rootClaims(maxDepth, "repo:acme/*", "read,write");
        b.claim("status", Map.of("status_list", Map.of("idx", statusIdx, "uri", LIST)));
        return f.sign(b.build());
    }

    /** A case used by the final holder {@code holder}, with a fresh proof over the whole credential. */
    Map<String, Object> add(String name, String credential, int holder, String action, String decision, String reason) {
        return v.add(name, credential, "repo:acme/widgets", action, f.proof(credential, holder), decision, reason);
    }

    @Test
    void write() throws Exception {
        String root = root(5, 2);
        String one = f.attenuate(root, 1, "repo:acme/widgets", "read,write");
        String two = f.attenuate(one, 2, "repo:acme/widgets", "read");
        String three = f.attenuate(two, 3);
        Map<String, Object> c = add("chain of one link, narrowed to one resource", one, 1, "write", "allow", "ok");
        expect(c, List.of("helper-1"), 1);
        c = add("chain of three links, each narrower or the same", three, 3, "read", "allow", "ok");
        expect(c, List.of("helper-3", "helper-2", "helper-1"), 3);
        add("an action the last link dropped", three, 3, "write", "deny", "action_not_granted");
        String five = f.chain(root, 5);
        expect(add("chain of five links, the cap", five, 5, "read", "allow", "ok"),
                List.of("helper-5", "helper-4", "helper-3", "helper-2", "helper-1"), 5);

        add("widened at link 1: an action the root does not grant", f.forge(root, 1, f.linkClaims(root, 1,
                "repo:acme/widgets", "read,delete")), 1, "read", "deny", "widened");
        add("widened at link 2: a resource pattern wider than link 1's", f.forge(one, 2, f.linkClaims(one, 2,
                "repo:acme/*", "read")), 2, "read", "deny", "widened");
        Map<String, Object> later = f.linkClaims(two, 3);
        later.put("exp", ChainFixture.NOW + 100_000);
        add("widened at link 3: exp past link 2's", f.forge(two, 3, later), 3, "read", "deny", "widened");
        Map<String, Object> aud = f.linkClaims(one, 2);
        aud.put("aud", "https://other.example.com");
        add("widened at link 2: another audience", f.forge(one, 2, aud), 2, "read", "deny", "widened");

        Map<String, Object> expired = f.linkClaims(one, 2);
        expired.put("exp", ChainFixture.NOW - 1);
        add("link 2 expired", f.forge(one, 2, expired), 2, "read", "deny", "expired");

        add("wrong signer at link 1 (not the root's cnf.jkt)", ChainFixture.forge(root, f.holders.get(1), Chain.LINK_TYPE,
                f.linkClaims(root, 1)), 1, "read", "deny", "wrong_signer");
        add("wrong signer at link 3 (link 1's key, not link 2's)", ChainFixture.forge(two, f.holders.get(1), Chain.LINK_TYPE,
                f.linkClaims(two, 3)), 3, "read", "deny", "wrong_signer");

        String capped = root(2, 2);
        String cappedTwo = f.chain(capped, 2);
        add("root's signet_max_depth 2, two links", cappedTwo, 2, "read", "allow", "ok");
        add("too deep: a third link under signet_max_depth 2", f.forge(cappedTwo, 3, f.linkClaims(cappedTwo, 3)), 3,
                "read", "deny", "too_deep");
        add("too deep: a sixth link", f.forge(five, 6, f.linkClaims(five, 6)), 6, "read", "deny", "too_deep");
        String uncapped = f.sign(f.rootClaims(0, "repo:acme/*", "read,write").build());
        add("root without signet_max_depth (its minter may not delegate)", f.forge(uncapped, 1, f.linkClaims(uncapped, 1)),
                1, "read", "deny", "delegation_not_allowed");

        String revoked = f.chain(root(5, 3), 2);
        add("revoked root (status entry 3 set): its whole offline subtree", revoked, 2, "read", "deny", "revoked");

        String proof = f.proof(three, 3);
        Map<String, Object> replay = v.add("replayed proof (presented twice; the second is refused)", three,
                "repo:acme/widgets", "read", proof, "deny", "dpop_replay");
        ((Map<String, Object>) replay.get("request")).put("repeat", 2);
        add("proof by an earlier holder (link 2's key)", three, 2, "read", "deny", "dpop_invalid");
        v.add("proof whose ath covers the root only", three, "repo:acme/widgets", "read", f.proof(root, 3), "deny", "dpop_ath");
        v.add("no proof", three, "repo:acme/widgets", "read", null, "deny", "dpop_required");

        List<String> a = Chain.split(three);
        String otherRoot = root(5, 2);
        List<String> b = Chain.split(f.chain(otherRoot, 2));
        add("spliced from two roots: root A, links of B", String.join("~", a.get(0), b.get(1), b.get(2)), 2, "read",
                "deny", "broken_chain");
        add("spliced from two roots: A's link 1, B's link 2", String.join("~", a.get(0), a.get(1), b.get(2)), 2, "read",
                "deny", "broken_chain");
        add("links reordered", String.join("~", a.get(0), a.get(2), a.get(1), a.get(3)), 3, "read", "deny", "broken_chain");
        add("link 2 dropped", String.join("~", a.get(0), a.get(1), a.get(3)), 3, "read", "deny", "broken_chain");
        add("a link typed at+jwt", ChainFixture.forge(root, f.holders.getFirst(), "at+jwt", f.linkClaims(root, 1)), 1,
                "read", "deny", "wrong_typ");
        add("a link presented alone as an access token", a.get(1), 1, "read", "deny", "wrong_typ");
        add("an empty element", root + "~~" + a.get(1), 1, "read", "deny", "malformed");

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("description", "Signet chained credentials (offline attenuation): verify each case's token (ROOT~LINK~...)"
                + " against jwks at now (skew 0s, DPoP iat window 60s) for issuer/audience, the root's status entry in"
                + " status_lists[uri] (any other uri: HTTP 404), then authorize request (DPoP ath over the whole"
                + " credential; repeat: present it that many times, expected is the last); see verifier/README.md");
        out.put("issuer", ChainFixture.ISSUER);
        out.put("audience", ChainFixture.AUDIENCE);
        out.put("now", ChainFixture.NOW);
        out.put("jwks", new JWKSet(f.issuerKey.toPublicJWK()).toJSONObject(true));
        byte[] bits = new byte[128];
        bits[0] = 0b0000_1000; // idx 3 revoked
        out.put("status_lists", Map.of(LIST, StatusVectorWriter.list(f.issuerKey, LIST, bits, ChainFixture.NOW + 3600)));
        out.put("cases", v.cases);
        Files.writeString(Path.of("vectors/chain-vectors.json"), JSONObjectUtils.toJSONString(out) + "\n");
    }

    @SuppressWarnings("unchecked")
    static void expect(Map<String, Object> c, List<String> actors, int depth) {
        Map<String, Object> expected = (Map<String, Object>) c.get("expected");
        expected.put("actors", actors);
        expected.put("depth", depth);
    }
}
