package dev.signet.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.issuance.Exchange;
import dev.signet.verifier.DpopVerifier;

import java.io.BufferedWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Token-exchange requests for {@code ops/bench/exchange.lua}, made before the load so the load generator signs
 * nothing: each line is one request's DPoP proof, a tab, and its form body, with a fresh proof and actor token
 * (their jtis are single-use), both dated {@value #IAT_AHEAD_SECONDS} s after they are made, so that each stays
 * inside the server's 60-second window from just after it is made until almost two minutes later.
 *
 * <pre>
 * parents URL MINTER_CREDENTIAL COUNT FILE   mints COUNT bound parent tokens (a holder key each): FILE
 * requests ISSUER PARENTS_FILE COUNT PREFIX FILES   COUNT requests, round robin over the parents, spread over
 *                                              PREFIX.0 .. PREFIX.(FILES-1) (one per wrk thread)
 * </pre>
 */
public final class ExchangeRequests {

    static final int IAT_AHEAD_SECONDS = 55;
    private static final int CHILD_KEYS = 16;

    private ExchangeRequests() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "parents" -> parents(args[1], args[2], Integer.parseInt(args[3]), Path.of(args[4]));
            case "requests" -> requests(args[1], Path.of(args[2]), Integer.parseInt(args[3]), args[4],
                    Integer.parseInt(args[5]));
            default -> throw new IllegalArgumentException("parents or requests, not " + args[0]);
        }
    }

    /** Each line: the holder's private JWK (JSON), a tab, the bound parent token. */
    static void parents(String url, String credential, int count, Path out) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient();
             BufferedWriter w = Files.newBufferedWriter(out)) {
            for (int i = 0; i < count; i++) {
                ECKey holder = new ECKeyGenerator(Curve.P_256).generate();
                String body = "{\"sub\":\"agent-" + i + "\",\"aud\":\"https://api.example.com\",\"ttl\":3600,"
                        + "\"scope\":[{\"resource\":\"repo:acme/**\",\"actions\":[\"read\",\"write\"]}],"
                        + "\"cnf\":{\"jkt\":\"" + holder.computeThumbprint() + "\"}}";
                HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/tokens"))
                        .header("Authorization", "Bearer " + credential).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() != 201) {
                    throw new IllegalStateException("minting a parent: " + res.statusCode() + " " + res.body());
                }
                w.write(holder.toJSONString() + "\t" + JSONObjectUtils.parse(res.body()).get("token") + "\n");
            }
        }
    }

    static void requests(String issuer, Path parentsFile, int count, String prefix, int files) throws Exception {
        List<ECKey> holders = new ArrayList<>();
        List<String> parents = new ArrayList<>();
        for (String line : Files.readAllLines(parentsFile)) {
            int tab = line.indexOf('\t');
            holders.add(ECKey.parse(line.substring(0, tab)));
            parents.add(line.substring(tab + 1));
        }
        List<ECKey> children = new ArrayList<>();
        for (int i = 0; i < CHILD_KEYS; i++) {
            children.add(new ECKeyGenerator(Curve.P_256).generate());
        }
        String htu = issuer + "/v1/token-exchange";
        String details = enc("[{\"type\":\"signet_resource\",\"identifier\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]");
        long started = System.nanoTime();
        int cores = Runtime.getRuntime().availableProcessors();
        try (ExecutorService pool = Executors.newFixedThreadPool(cores)) {
            List<Future<?>> done = new ArrayList<>();
            for (int f = 0; f < files; f++) {
                int file = f;
                done.add(pool.submit(() -> {
                    Path out = Path.of(prefix + "." + file);
                    try (BufferedWriter w = Files.newBufferedWriter(out, StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                        for (int i = file; i < count; i += files) {
                            int p = i % parents.size();
                            Date iat = new Date(System.currentTimeMillis() + IAT_AHEAD_SECONDS * 1000L);
                            ECKey child = children.get(i % children.size());
                            String actor = sign(child, "JWT", new JWTClaimsSet.Builder().subject("sub-agent-" + (i % 100))
                                    .audience(issuer).issueTime(iat).jwtID(UUID.randomUUID().toString()).build());
                            String proof = sign(holders.get(p), "dpop+jwt", new JWTClaimsSet.Builder()
                                    .claim("htm", "POST").claim("htu", htu).issueTime(iat)
                                    .jwtID(UUID.randomUUID().toString()).claim("ath", DpopVerifier.ath(parents.get(p)))
                                    .build());
                            w.write(proof + "\tgrant_type=" + enc(Exchange.GRANT_TYPE) + "&subject_token=" + parents.get(p)
                                    + "&subject_token_type=" + enc(Exchange.ACCESS_TOKEN_TYPE) + "&actor_token=" + actor
                                    + "&actor_token_type=" + enc(Exchange.JWT_TYPE) + "&authorization_details=" + details
                                    + "\n");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        if (seconds > 60) {
            System.err.println("ExchangeRequests: making " + count + " requests took " + seconds + " s; the first ones'"
                    + " proofs leave the server's 60 s window about " + (IAT_AHEAD_SECONDS + 60) + " s after they were made,"
                    + " so they will be refused (dpop_iat): the machine is too loaded for this benchmark");
        }
    }

    static String sign(ECKey key, String typ, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ))
                .jwk(key.toPublicJWK()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
