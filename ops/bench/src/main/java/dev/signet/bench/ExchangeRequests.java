package dev.signet.bench;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.signet.issuance.Exchange;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.verifier.DpopVerifier;

import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Token-exchange requests for {@code ops/bench/exchange.lua}, made while the load runs so the load generator signs
 * nothing: each line is one request's DPoP proof, a tab, and its form body, with a fresh proof and actor token
 * (their jtis are single-use), both signed through the in-memory signer (OpenSSL when it can be used) and dated
 * when they are made. They stream through one FIFO per wrk thread, so a request waits at most as long as the pipe
 * holds it (seconds), inside the server's 60 s window however loaded the machine: requests made in advance did not
 * (45 000 of them took minutes to make there, and the first were refused as dpop_iat).
 *
 * <pre>
 * parents URL MINTER_CREDENTIAL COUNT FILE   mints COUNT bound parent tokens (a holder key each): FILE
 * stream ISSUER PARENTS_FILE PREFIX FILES [COUNT]
 *                                            writes requests, round robin over the parents, to the FIFOs
 *                                            PREFIX.0 .. PREFIX.(FILES-1) (one per wrk thread) until their readers
 *                                            close them, or COUNT of them in all to files of those names (made just
 *                                            before a phase of {@code ops/bench/paced.c}, so that its generator
 *                                            signs nothing while the load runs)
 * </pre>
 */
public final class ExchangeRequests {

    private static final int CHILD_KEYS = 16;
    private static final java.util.Base64.Encoder B64 = java.util.Base64.getUrlEncoder().withoutPadding();

    private ExchangeRequests() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "parents" -> parents(args[1], args[2], Integer.parseInt(args[3]), Path.of(args[4]));
            case "stream" -> stream(args[1], Path.of(args[2]), args[3], Integer.parseInt(args[4]),
                    args.length > 5 ? Long.parseLong(args[5]) : Long.MAX_VALUE);
            default -> throw new IllegalArgumentException("parents or stream, not " + args[0]);
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

    /** A key that signs through the in-memory signer and the public JWK (JSON) its tokens carry. */
    private record Signer(SigningKey key, String publicJwk) {
        static Signer of(String id, ECKey jwk) throws Exception {
            return new Signer(InMemorySigning.key(id, SigningAlgorithm.ES256, jwk.toECPublicKey(),
                    jwk.toECPrivateKey()), jwk.toPublicJWK().toJSONString());
        }

        /** A compact ES256 JWS with this key's public JWK in its header. */
        String sign(String typ, String claims) {
            String input = B64.encodeToString(("{\"alg\":\"ES256\",\"typ\":\"" + typ + "\",\"jwk\":" + publicJwk + "}")
                    .getBytes(StandardCharsets.UTF_8)) + "." + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
        }
    }

    static void stream(String issuer, Path parentsFile, String prefix, int files, long count) throws Exception {
        List<Signer> holders = new ArrayList<>();
        List<String> parents = new ArrayList<>();
        List<String> aths = new ArrayList<>();
        for (String line : Files.readAllLines(parentsFile)) {
            int tab = line.indexOf('\t');
            holders.add(Signer.of("holder-" + holders.size(), ECKey.parse(line.substring(0, tab))));
            parents.add(line.substring(tab + 1));
            aths.add(DpopVerifier.ath(line.substring(tab + 1)));
        }
        List<Signer> children = new ArrayList<>();
        for (int i = 0; i < CHILD_KEYS; i++) {
            children.add(Signer.of("child-" + i, new ECKeyGenerator(Curve.P_256).generate()));
        }
        System.err.println("ExchangeRequests: " + InMemorySigning.choice().describe());
        String htu = issuer + "/v1/token-exchange";
        String details = enc("[{\"type\":\"signet_resource\",\"identifier\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]");
        long[] made = new long[files];
        try (ExecutorService pool = Executors.newFixedThreadPool(files)) {
            List<Future<?>> done = new ArrayList<>();
            for (int f = 0; f < files; f++) {
                int file = f;
                done.add(pool.submit(() -> {
                    // A small buffer: what waits in it and in the pipe is what ages before wrk sends it.
                    try (Writer w = new OutputStreamWriter(new FileOutputStream(prefix + "." + file), StandardCharsets.US_ASCII)) {
                        for (long i = file; i < count; i += files) {
                            long iat = System.currentTimeMillis() / 1000;
                            int p = (int) (i % parents.size());
                            String actor = children.get((int) (i % children.size())).sign("JWT", "{\"sub\":\"sub-agent-"
                                    + (i % 100) + "\",\"aud\":\"" + issuer + "\",\"iat\":" + iat + ",\"jti\":\"" + UUID.randomUUID() + "\"}");
                            String proof = holders.get(p).sign("dpop+jwt", "{\"htm\":\"POST\",\"htu\":\"" + htu
                                    + "\",\"iat\":" + iat + ",\"jti\":\"" + UUID.randomUUID() + "\",\"ath\":\"" + aths.get(p) + "\"}");
                            w.write(proof + "\tgrant_type=" + enc(Exchange.GRANT_TYPE) + "&subject_token=" + parents.get(p)
                                    + "&subject_token_type=" + enc(Exchange.ACCESS_TOKEN_TYPE) + "&actor_token=" + actor
                                    + "&actor_token_type=" + enc(Exchange.JWT_TYPE) + "&authorization_details=" + details
                                    + "\n");
                            w.flush();
                            made[file]++;
                        }
                    } catch (IOException e) {
                        return null; // wrk closed its end: the phase is over
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
        }
        System.err.println("ExchangeRequests: made " + java.util.Arrays.stream(made).sum() + " requests");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
