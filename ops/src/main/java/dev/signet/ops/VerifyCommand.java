package dev.signet.ops;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.verifier.Chain;
import dev.signet.verifier.ChainVerifier;
import dev.signet.verifier.Decision;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.JwksCache;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.ReplayCache;
import dev.signet.verifier.Signatures;
import dev.signet.verifier.StatusListCache;
import dev.signet.verifier.TokenVerifier;
import dev.signet.verifier.VerifiedChain;
import dev.signet.verifier.VerifiedToken;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code signet verify}: checks a Signet token or a chained credential as a service would, offline from the
 * issuer except for its JWKS and status lists (fetched and cached as {@link JwksCache} and
 * {@link StatusListCache} do), and prints the decision and the chain as JSON. Exit 0 allow (or valid, when no
 * resource is asked), 1 deny, 2 malformed input.
 */
final class VerifyCommand {

    static final String USAGE = "verify --issuer URL [--audience A --resource R --action X] [--dpop PROOF"
            + " [--method M --url U]] [--jwks URL] CREDENTIAL|FILE|-";

    private VerifyCommand() {
    }

    static int run(Deque<String> args) {
        String issuer = null;
        String audience = null;
        String resource = null;
        String action = null;
        String dpop = null;
        String method = null;
        String url = null;
        String jwks = null;
        String input = null;
        while (!args.isEmpty()) {
            String a = args.pop();
            if (!a.startsWith("--") || a.equals("-")) {
                if (input != null) {
                    return usage("one CREDENTIAL only");
                }
                input = a;
                continue;
            }
            if (args.isEmpty()) {
                return usage(a + " needs a value");
            }
            String v = args.pop();
            switch (a) {
                case "--issuer" -> issuer = v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
                case "--audience" -> audience = v;
                case "--resource" -> resource = v;
                case "--action" -> action = v;
                case "--dpop" -> dpop = v;
                case "--method" -> method = v;
                case "--url" -> url = v;
                case "--jwks" -> jwks = v;
                default -> {
                    return usage("unknown option '" + a + "'");
                }
            }
        }
        if (issuer == null || input == null) {
            return usage("--issuer and a CREDENTIAL are required");
        }
        if ((resource == null) != (action == null) || (resource != null && audience == null)) {
            return usage("--audience, --resource and --action go together");
        }
        String credential;
        try {
            credential = read(input);
        } catch (IOException e) {
            return usage("cannot read " + input + ": " + e.getMessage());
        }
        if (dpop != null && dpop.startsWith("@")) {
            try {
                dpop = Files.readString(Path.of(dpop.substring(1)), StandardCharsets.US_ASCII).strip();
            } catch (IOException e) {
                return usage("cannot read the DPoP proof " + dpop + ": " + e.getMessage());
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> request = null;
        if (dpop != null) {
            request = new LinkedHashMap<>();
            // Without --method/--url the proof is checked against the request it names: everything but htm/htu.
            Map<String, Object> proof = payload(dpop);
            request.put("method", method != null ? method : proof.getOrDefault("htm", ""));
            request.put("uri", url != null ? url : proof.getOrDefault("htu", ""));
            request.put("from", method == null && url == null ? "the proof's htm and htu" : "--method/--url");
        }

        Clock clock = Clock.systemUTC();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            JwksCache keys = new JwksCache(URI.create(jwks != null ? jwks : issuer + "/.well-known/jwks.json"), http,
                    clock, Duration.ofMinutes(5), Duration.ofSeconds(30));
            StatusListCache status = new StatusListCache(issuer, keys, StatusListCache.http(http), clock,
                    Duration.ofSeconds(60), Duration.ZERO);
            ChainVerifier verifier = new ChainVerifier(issuer, audience, keys, clock, Duration.ofSeconds(30),
                    new DpopVerifier(clock, Duration.ofSeconds(60), new ReplayCache(clock, 16)), status::check);
            Decision decision;
            VerifiedChain chain = null;
            try {
                chain = verifier.verify(credential);
                if (resource == null) {
                    decision = new Decision(true, "ok", "the credential verifies (no --resource asked)");
                } else {
                    decision = verifier.authorize(credential, request == null ? null : new TokenVerifier.Request(
                            (String) request.get("method"), (String) request.get("uri"), dpop), resource, action);
                }
            } catch (Rejected e) {
                decision = new Decision(false, e.reason(), e.getMessage());
            }
            boolean malformed = decision.reason().equals("malformed");
            out.put("decision", decision.allowed() ? (resource == null ? "valid" : "allow") : malformed ? "malformed" : "deny");
            out.put("reason", decision.reason());
            out.put("detail", decision.detail());
            if (resource != null) {
                out.put("asked", Map.of("audience", audience, "resource", resource, "action", action));
            }
            if (request != null) {
                out.put("request", request);
            }
            out.put("verified", chain != null);
            if (chain != null) {
                out.put("holder", holder(chain));
            }
            out.put("chain", elements(credential, chain));
            System.out.println(JSONObjectUtils.toJSONString(out));
            return decision.allowed() ? 0 : malformed ? 2 : 1;
        }
    }

    /** What the final holder has: depth, actors, audience, grants, expiry, bound key. */
    private static Map<String, Object> holder(VerifiedChain chain) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("type", chain.links().isEmpty() ? "token" : "chain");
        h.put("depth", chain.depth());
        h.put("actors", chain.actors());
        h.put("sub", chain.root().subject());
        h.put("client_id", chain.root().clientId());
        h.put("aud", chain.audience());
        h.put("exp", chain.expiresAt().getEpochSecond());
        chain.boundJkt().ifPresent(j -> h.put("cnf_jkt", j));
        h.put("authorization_details", grants(chain.grants()));
        return h;
    }

    /** Each element as decoded; claims come from {@code chain} when it verified, else they are unverified. */
    private static List<Map<String, Object>> elements(String credential, VerifiedChain chain) {
        List<Map<String, Object>> list = new ArrayList<>();
        List<String> parts;
        try {
            parts = Chain.split(credential);
        } catch (Rejected e) {
            return list;
        }
        for (int i = 0; i < parts.size(); i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("element", i);
            try {
                JWSObject jws = Signatures.parseJws(parts.get(i));
                e.put("typ", jws.getHeader().getType() == null ? null : jws.getHeader().getType().getType());
                e.put("alg", jws.getHeader().getAlgorithm().getName());
                if (jws.getHeader().getKeyID() != null) {
                    e.put("kid", jws.getHeader().getKeyID());
                }
                Map<String, Object> claims = jws.getPayload().toJSONObject();
                if (claims != null) {
                    e.put("claims", claims);
                }
                if (chain != null && i > 0) {
                    e.put("signer_jkt", chain.links().get(i - 1).signerJkt());
                }
            } catch (ParseException ex) {
                e.put("error", "not a compact JWS");
            }
            list.add(e);
        }
        return list;
    }

    private static List<Map<String, Object>> grants(List<VerifiedToken.Grant> grants) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (VerifiedToken.Grant g : grants) {
            list.add(Map.of("type", TokenVerifier.DETAIL_TYPE, "identifier", g.resource().toString(),
                    "actions", List.copyOf(new TreeSet<>(g.actions()))));
        }
        return list;
    }

    private static Map<String, Object> payload(String jws) {
        try {
            Map<String, Object> p = Signatures.parseJws(jws).getPayload().toJSONObject();
            return p == null ? Map.of() : p;
        } catch (ParseException e) {
            return Map.of();
        }
    }

    /** The credential itself, a file holding it, or {@code -} for standard input. */
    private static String read(String input) throws IOException {
        if (input.equals("-")) {
            return new String(System.in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
        if (!Files.exists(Path.of(input)) && input.matches("[A-Za-z0-9_.~-]+") && input.indexOf('.') > 0) {
            return input; // the credential's text: JWS are base64url and '.', chains join them with '~'
        }
        return Files.readString(Path.of(input), StandardCharsets.US_ASCII).strip();
    }

    private static int usage(String message) {
        System.err.println("signet: verify: " + message + "\nusage: signet " + USAGE);
        return 2;
    }
}
