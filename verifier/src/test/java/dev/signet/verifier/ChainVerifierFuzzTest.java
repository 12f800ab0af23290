package dev.signet.verifier;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.grammar.AudiencePattern;
import dev.signet.grammar.ResourcePattern;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for offline attenuation chains (RELIABILITY.md): {@link ChainVerifier#verify} on a credential an
 * attacker sends. An input is UTF-8 lines, read in order, each giving the next element of the chain (joined with
 * {@code ~}): {@code root}, a JOSE header line and a claims line: those exact bytes signed ES256 by the issuer's
 * published key; {@code holder K} (K in 0..5), a header line and a claims line: signed ES256 by holder K's key
 * (text after {@code root} or {@code holder K} is appended to the signed element: whitespace, padding); any other
 * line but an empty one: an element verbatim (so an input without a newline is the credential itself). In the
 * header and claims lines {@code {jwk}} is the signer's public JWK, {@code {jwkK}} and {@code {jktK}} holder K's
 * public JWK and RFC 7638 thumbprint, and {@code {prev}} the hash of the element before it (its {@code signet_prev}).
 *
 * <p>A credential is refused only with a {@link Rejected} of a documented reason. An accepted one is re-checked
 * without Nimbus's JWS code: every element is three canonical base64url segments; the root is signed by the published
 * key for this issuer, unexpired and bound; each link hashes the element before it, is signed (the JDK verifies) by
 * the holder key whose thumbprint the element before it binds, sits within the root's depth cap, neither outlives
 * the element before it nor has expired, and is no wider: its audience and every (resource, action) it grants are
 * within the element before it's, checked on concrete resources and audiences (a fresh name for each wildcard) with
 * {@code matches}, not with the {@code covers} under test; the chain ends at this service's audience, and what
 * {@link VerifiedChain} reports is what the links say.
 */
class ChainVerifierFuzzTest {

    // Test-only keys, fixed so that committed inputs can bind them by thumbprint.
    static final ECKey ISSUER_KEY = TokenVerifierFuzzTest.ISSUER_KEY;
    static final List<ECKey> HOLDERS = List.of(
            key("BTwgh7BGH33Oj38a4wyPn_tw0LojyflSoPAuayR3QUA", "wqfViXGzGyz4Gdm6o15Pqp6OZhj1ztMFldf9_k2iHsA", "0Z7KeFDtYAL01uoDxHpOQP4zmyhDtxL3-MsTw1rZlPE"),
            key("6YK_QRtyzn38vIXnezzekmpZOysuY869PI343o9m7Ig", "8kQH-8-ZFAH_I5s7w7DQZU-A_4C_wB2o-c0tnp1q4gc", "UATRMbhWHs_KZzaggWbzzC_aeh3lmgLhGaaR_spMaUI"),
            key("RxUJiWcUuWk1cgyxrhWQvNF_cpc5Sa3-ts2Qh0GY5JA", "n37o9R1NauWUzy_mc8ZOk6qQQ1SN8fo0Wu3nqH8SJiI", "2OXfM3CIUWTkDtYmlTmvUvVSjJkPqLyxyo4SIgR-UPE"),
            key("yzutsMC6jeWGl3ER7MyRhjeHoqt-_vuertlMjKZST5M", "zbMU8oawyxA8n9v6io_zb6CMFabFZ50hHhOHa5KNn2s", "ZlSqEQkZXcuAcThnkaHSxaZa-ALdj4JjyTNGJiWVft4"),
            key("gzyD_-jfJI4kiyS02kl-ypFeiceBEyTNjwPL7Cl322k", "UG6ZrohCP018PnVV_ve2yFkjxNNM1ZL4MJp8fW58n00", "iNQoxCKRqjB9YurdjSogTWRWhvyKydj-ArfRMYfRLG8"),
            key("UbvmYh_Yk8WHHFpZNd10ibYiddXzjE-8lEVZrys-F6A", "H4dUMWWITsIjrMIaRVLbIhy520hCWe1zi_tquDU9LmU", "JHFUJxbcxG5jQ2E4mZLckQaV_ZzZ6O38W6rXJ6csedc"));
    static final List<String> PUBLIC_JWKS = HOLDERS.stream().map(k -> k.toPublicJWK().toJSONString()).toList();
    static final List<String> THUMBPRINTS = HOLDERS.stream().map(ChainVerifierFuzzTest::thumbprint).toList();
    static final long NOW = VectorWriter.NOW;
    static final Duration SKEW = Duration.ofSeconds(30);
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    static final ChainVerifier VERIFIER = new ChainVerifier(VectorWriter.ISSUER, VectorWriter.AUDIENCE,
            kid -> "k1".equals(kid) ? ISSUER_KEY.toPublicJWK() : null, CLOCK, SKEW,
            new DpopVerifier(CLOCK, Duration.ofSeconds(60), new ReplayCache(CLOCK, 16)), StatusCheck.UNCHECKED);
    /** {@link ChainVerifier#verify}'s documented reasons (with the status unchecked: no revoked, status_unavailable). */
    static final Set<String> REASONS = Set.of("malformed", "wrong_typ", "unsupported_alg", "unknown_kid",
            "bad_signature", "wrong_issuer", "wrong_audience", "expired", "not_yet_valid", "bad_claims", "broken_chain",
            "wrong_signer", "delegation_not_allowed", "too_deep", "widened");
    static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    /** A signed element's line: what follows the signer is appended to the signed text (whitespace, padding...). */
    static final Pattern SIGNED = Pattern.compile("(root|holder [0-5])(.*)");

    @FuzzTest(maxDuration = "20s")
    void chain(byte[] data) throws Exception {
        String credential = credential(new String(data, StandardCharsets.UTF_8));
        VerifiedChain chain;
        try {
            chain = VERIFIER.verify(credential);
        } catch (Rejected e) {
            assertTrue(REASONS.contains(e.reason()), () -> "refused with reason " + e.reason());
            return;
        }
        assertEveryLinkWithinItsParent(credential, chain);
    }

    /** The seeds that must be accepted are, so the checks of an accepted chain are reached, not vacuous. */
    @Test
    void theValidSeedsAreAccepted() throws Exception {
        for (String name : List.of("valid-depth-1", "valid-depth-3", "valid-depth-5", "valid-audience-narrowed")) {
            String credential = credential(seed(name));
            assertEveryLinkWithinItsParent(credential, VERIFIER.verify(credential));
        }
    }

    /** And the seeds that must be refused are, for their own reason (not an earlier check they trip by mistake). */
    @Test
    void theRefusedSeedsAreRefusedForTheirReason() throws Exception {
        Map<String, String> reasons = Map.of("widened-action", "widened", "widened-resource", "widened",
                "widened-audience", "widened", "widened-exp", "widened", "bad-signature", "bad_signature",
                "wrong-signer", "wrong_signer", "broken-chain", "broken_chain", "too-deep", "too_deep",
                "root-without-cap", "delegation_not_allowed");
        for (Map.Entry<String, String> e : reasons.entrySet()) {
            String credential = credential(seed(e.getKey()));
            assertEquals(e.getValue(), assertThrows(Rejected.class, () -> VERIFIER.verify(credential)).reason(), e.getKey());
        }
    }

    static String seed(String name) throws IOException {
        try (InputStream in = ChainVerifierFuzzTest.class.getResourceAsStream("ChainVerifierFuzzTestInputs/chain/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String credential(String text) throws Exception {
        List<String> elements = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = SIGNED.matcher(lines[i]);
            if (m.matches() && i + 2 < lines.length) {
                ECKey signer = m.group(1).equals("root") ? ISSUER_KEY : HOLDERS.get(m.group(1).charAt(7) - '0');
                String prev = elements.isEmpty() ? "" : Chain.hash(elements.getLast());
                elements.add(TokenVerifierFuzzTest.sign(signer, expand(lines[i + 1], signer, prev),
                        expand(lines[i + 2], signer, prev)) + m.group(2));
                i += 2;
            } else if (!lines[i].isEmpty()) {
                elements.add(lines[i]);
            }
        }
        return String.join("~", elements);
    }

    static String expand(String line, ECKey signer, String prev) {
        if (line.indexOf('{') < 0) {
            return line;
        }
        String s = line.replace("{jwk}", signer.toPublicJWK().toJSONString()).replace("{prev}", prev);
        for (int k = 0; k < HOLDERS.size(); k++) {
            s = s.replace("{jwk" + k + "}", PUBLIC_JWKS.get(k)).replace("{jkt" + k + "}", THUMBPRINTS.get(k));
        }
        return s;
    }

    // --- the independent re-check of an accepted chain ---

    record Element(String text, Map<String, Object> header, Map<String, Object> claims) {
    }

    record Grant(String resource, Set<String> actions) {
    }

    static void assertEveryLinkWithinItsParent(String credential, VerifiedChain chain) throws Exception {
        String[] parts = credential.split("~", -1);
        assertTrue(parts.length <= 1 + TokenVerifier.MAX_DEPTH, "at most " + TokenVerifier.MAX_DEPTH + " links");
        assertEquals(parts.length - 1, chain.links().size(), "one verified link per link");
        Element root = element(parts[0]);
        assertTrue("at+jwt".equalsIgnoreCase((String) root.header().get("typ")), "the root is an access token");
        assertTrue(signedBy(root, ISSUER_KEY), "the root is signed by the published key");
        assertEquals(VectorWriter.ISSUER, root.claims().get("iss"));
        BigDecimal exp = seconds(root.claims(), "exp");
        assertUnexpired(exp);
        String audience = audience(root.claims().get("aud"));
        List<Grant> grants = grants(root.claims().get("authorization_details"));
        String bound = jkt(root.claims());
        int depth = root.claims().get("signet_depth") instanceof Number d ? d.intValue() : 0;
        if (parts.length > 1) {
            assertNotNull(bound, "a chain's root is bound");
            assertTrue(root.claims().get(Chain.MAX_DEPTH_CLAIM) instanceof Number, "a chain's root carries its cap");
        }
        int cap = parts.length == 1 ? 0 : Math.min(TokenVerifier.MAX_DEPTH,
                ((Number) root.claims().get(Chain.MAX_DEPTH_CLAIM)).intValue());
        for (int i = 1; i < parts.length; i++) {
            String where = "link " + i;
            Element link = element(parts[i]);
            assertTrue(Chain.LINK_TYPE.equalsIgnoreCase((String) link.header().get("typ")), where + " typ");
            ECKey signer = null;
            for (int k = 0; k < HOLDERS.size(); k++) {
                if (THUMBPRINTS.get(k).equals(bound)) {
                    signer = HOLDERS.get(k);
                }
            }
            assertNotNull(signer, where + " is signed by the key the element before binds, and only we hold those");
            Map<?, ?> jwk = assertInstanceOf(Map.class, link.header().get("jwk"), where + " carries its key");
            assertEquals(signer.getX().toString(), jwk.get("x"), where + "'s jwk is the bound key");
            assertEquals(signer.getY().toString(), jwk.get("y"), where + "'s jwk is the bound key");
            assertTrue(signedBy(link, signer), where + " is signed by the bound key (the JDK verifies it)");
            assertEquals(sha256(parts[i - 1]), link.claims().get(Chain.PREV_CLAIM), where + " hashes the element before");
            depth++;
            assertTrue(depth <= cap, where + " at depth " + depth + " is within the root's cap " + cap);
            BigDecimal linkExp = seconds(link.claims(), "exp");
            assertTrue(linkExp.compareTo(exp) <= 0, where + " exp " + linkExp + " does not outlive the element before, " + exp);
            assertUnexpired(linkExp);
            assertTrue(seconds(link.claims(), "iat").compareTo(BigDecimal.valueOf(NOW + SKEW.toSeconds())) <= 0,
                    where + " is not issued in the future");
            assertTrue(link.claims().get("jti") instanceof String jti && !jti.isEmpty(), where + " jti");
            if (link.claims().get("aud") != null) {
                String narrower = audience(link.claims().get("aud"));
                assertAudienceWithin(audience, narrower, where);
                audience = narrower;
            }
            if (link.claims().get("authorization_details") != null) {
                List<Grant> narrower = grants(link.claims().get("authorization_details"));
                assertGrantsWithin(grants, narrower, where);
                grants = narrower;
            }
            bound = jkt(link.claims());
            assertNotNull(bound, where + " binds the next holder");
            VerifiedChain.Link v = chain.links().get(i - 1);
            assertEquals(link.claims().get("jti"), v.jti());
            assertEquals(depth, v.depth());
            assertEquals(linkExp.longValue(), v.expiresAt().getEpochSecond());
            assertEquals(thumbprint(signer), v.signerJkt());
            assertEquals(bound, v.boundJkt());
            assertEquals(audience, v.audience());
            assertEquals(new HashSet<>(grants), reported(v.grants()), where + "'s grants as verified");
            exp = linkExp;
        }
        assertEquals(VectorWriter.AUDIENCE, audience, "the chain ends at this service");
        assertEquals(audience, chain.audience());
        assertEquals(new HashSet<>(grants), reported(chain.grants()));
        assertEquals(java.util.Optional.ofNullable(bound), chain.boundJkt());
        // What the final holder is allowed on concrete resources, the root's own grants allow too.
        List<Grant> rootGrants = grants(root.claims().get("authorization_details"));
        for (Grant g : grants) {
            for (String resource : resources(g.resource(), texts(rootGrants))) {
                for (String action : g.actions()) {
                    assertTrue(chain.allows(resource, action).allowed(), "the final holder may " + action + " " + resource);
                    assertTrue(allowed(rootGrants, resource, action), "the root allows " + action + " on " + resource);
                }
            }
        }
    }

    static Element element(String text) throws Exception {
        assertTrue(COMPACT.matcher(text).matches(), "an accepted element is three base64url segments");
        String[] p = text.split("\\.");
        Base64.Decoder b64 = Base64.getUrlDecoder();
        for (String segment : p) {
            assertEquals(segment, Base64.getUrlEncoder().withoutPadding().encodeToString(b64.decode(segment)),
                    "an accepted element's segments are canonical base64url: one spelling per chain");
        }
        return new Element(text, JSONObjectUtils.parse(new String(b64.decode(p[0]), StandardCharsets.UTF_8)),
                JSONObjectUtils.parse(new String(b64.decode(p[1]), StandardCharsets.UTF_8)));
    }

    static boolean signedBy(Element e, ECKey key) throws Exception {
        assertEquals("ES256", e.header().get("alg"), "the only algorithm our P-256 keys sign with");
        int dot = e.text().lastIndexOf('.');
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(key.toECPublicKey());
        s.update(e.text().substring(0, dot).getBytes(StandardCharsets.US_ASCII));
        try {
            return s.verify(Base64.getUrlDecoder().decode(e.text().substring(dot + 1)));
        } catch (GeneralSecurityException bad) {
            return false;
        }
    }

    /** A NumericDate as JSON wrote it, not as a {@code Date} reads it (no truncation, no overflow). */
    static BigDecimal seconds(Map<String, Object> claims, String name) {
        Object v = claims.get(name);
        assertTrue(v instanceof Number, name + " is a number");
        return new BigDecimal(v.toString());
    }

    static void assertUnexpired(BigDecimal exp) {
        assertTrue(BigDecimal.valueOf(NOW).compareTo(exp.add(BigDecimal.valueOf(SKEW.toSeconds()))) < 0, "unexpired: " + exp);
    }

    static String audience(Object aud) {
        Object v = aud instanceof List<?> l && l.size() == 1 ? l.getFirst() : aud;
        assertTrue(v instanceof String s && !s.isEmpty(), "aud is one string");
        return (String) v;
    }

    static List<Grant> grants(Object details) {
        List<?> list = assertInstanceOf(List.class, details, "authorization_details is a list");
        assertTrue(!list.isEmpty(), "authorization_details is not empty");
        List<Grant> grants = new ArrayList<>();
        for (Object d : list) {
            Map<?, ?> m = assertInstanceOf(Map.class, d);
            assertEquals(TokenVerifier.DETAIL_TYPE, m.get("type"));
            List<?> actions = assertInstanceOf(List.class, m.get("actions"));
            Set<String> names = new HashSet<>();
            for (Object a : actions) {
                assertTrue(a instanceof String s && !s.isEmpty(), "an action is a non-empty string");
                names.add((String) a);
            }
            assertTrue(!names.isEmpty(), "a grant has actions");
            grants.add(new Grant(assertInstanceOf(String.class, m.get("identifier")), names));
        }
        return grants;
    }

    static Set<Grant> reported(List<VerifiedToken.Grant> grants) {
        Set<Grant> s = new HashSet<>();
        for (VerifiedToken.Grant g : grants) {
            s.add(new Grant(g.resource().toString(), g.actions()));
        }
        return s;
    }

    static String jkt(Map<String, Object> claims) {
        return claims.get("cnf") instanceof Map<?, ?> m && m.get("jkt") instanceof String s && !s.isEmpty() ? s : null;
    }

    static List<String> texts(List<Grant> grants) {
        return grants.stream().map(Grant::resource).toList();
    }

    static boolean allowed(List<Grant> grants, String resource, String action) {
        for (Grant g : grants) {
            if (g.actions().contains(action) && ResourcePattern.parse(g.resource()).matches(resource)) {
                return true;
            }
        }
        return false;
    }

    /** Each (resource, action) of {@code child}, on concrete resources its patterns match, is allowed by {@code parent}. */
    static void assertGrantsWithin(List<Grant> parent, List<Grant> child, String where) {
        for (Grant g : child) {
            for (String resource : resources(g.resource(), texts(parent))) {
                for (String action : g.actions()) {
                    assertTrue(allowed(parent, resource, action), where + " grants " + action + " on " + resource
                            + " (from " + g.resource() + ") beyond the element before it");
                }
            }
        }
    }

    static void assertAudienceWithin(String parent, String child, String where) {
        AudiencePattern p = AudiencePattern.parse(parent);
        AudiencePattern c = AudiencePattern.parse(child);
        String fresh = fresh(List.of(parent));
        List<String> samples = child.equals(AudiencePattern.ANY)
                ? List.of("https://" + fresh + "." + fresh, "http://" + fresh + "." + fresh)
                : List.of(child.replaceFirst("^(https?://)\\*\\.", "$1" + fresh + "."));
        for (String sample : samples) {
            assertTrue(c.matches(sample), "the sampler makes an audience " + child + " matches: " + sample);
            assertTrue(p.matches(sample), where + "'s aud " + child + " reaches " + sample + ", beyond " + parent);
        }
    }

    /**
     * Concrete resources {@code pattern} matches, with a name none of {@code avoid} contains for each wildcard:
     * a pattern matching them all covers {@code pattern} (a {@code **} is tried as one and as two segments).
     */
    static List<String> resources(String pattern, List<String> avoid) {
        String fresh = fresh(avoid);
        List<String> samples = new ArrayList<>();
        if (pattern.equals(ResourcePattern.ANY)) {
            samples.add(fresh + ":" + fresh);
        } else {
            String[] segments = pattern.split("/", -1);
            for (int i = 0; i < segments.length; i++) {
                if (segments[i].equals("*")) {
                    segments[i] = fresh;
                } else if (segments[i].endsWith(":*")) {
                    segments[i] = segments[i].substring(0, segments[i].length() - 1) + fresh;
                }
            }
            String one = String.join("/", segments);
            if (one.endsWith("**")) {
                String stem = one.substring(0, one.length() - 2);
                samples.add(stem + fresh);
                samples.add(stem + fresh + "/" + fresh);
            } else {
                samples.add(one);
            }
        }
        ResourcePattern p = ResourcePattern.parse(pattern);
        for (String s : samples) {
            assertTrue(p.matches(s), "the sampler makes a resource " + pattern + " matches: " + s);
        }
        return samples;
    }

    static String fresh(List<String> avoid) {
        for (int n = 0; ; n++) {
            String name = "q" + n;
            if (avoid.stream().noneMatch(a -> a.contains(name))) {
                return name;
            }
        }
    }

    static String sha256(String text) throws Exception {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** RFC 7638, written out for P-256 rather than asked of Nimbus. */
    static String thumbprint(ECKey key) {
        try {
            return sha256("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + key.getX() + "\",\"y\":\"" + key.getY() + "\"}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ECKey key(String x, String y, String d) {
        try {
            return ECKey.parse(Map.<String, Object>of("kty", "EC", "crv", "P-256", "x", x, "y", y, "d", d));
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
