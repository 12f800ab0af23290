package dev.signet.ops;

import dev.signet.verifier.JwksCache;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.StatusListCache;
import dev.signet.verifier.TokenVerifier;
import dev.signet.verifier.VerifiedToken;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The chaos soak's verifier, in its own JVM as a relying service would be: keeps the issuer's JWKS as
 * {@link JwksCache} does (max-age, one refetch on an unknown kid per cooldown) and checks each token's status list.
 * <p>
 * stdin: {@code T id verifyAtEpochMillis token} lines, then {@code E} (no more tokens). stdout: one line per token,
 * {@code V id checkedAtEpochMillis ok|REASON}, and {@code DONE fetches=N} once every token has been checked.
 *
 * <pre>java ... dev.signet.ops.SoakVerifier ISSUER JWKS_BASE AUDIENCE</pre>
 * JWKS_BASE is where the issuer's URLs are served (the soak's load balancer in front of the replicas).
 */
public final class SoakVerifier {

    /** Like node jose: at most one refetch on unknown kids per 30 s. */
    static final Duration COOLDOWN = Duration.ofSeconds(30);

    private SoakVerifier() {
    }

    public static void main(String[] args) throws Exception {
        String issuer = args[0];
        String base = args[1];
        String audience = args[2];
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Clock clock = Clock.systemUTC();
        JwksCache jwks = new JwksCache(URI.create(base + "/.well-known/jwks.json"), http, clock,
                Duration.ofMinutes(1), COOLDOWN);
        StatusListCache.Fetcher direct = StatusListCache.http(http);
        // Status lists live under the issuer's URL; fetch them where the issuer is served.
        StatusListCache.Fetcher fetcher = uri -> direct.fetch(uri.toString().startsWith(issuer)
                ? URI.create(base + uri.toString().substring(issuer.length())) : uri);
        StatusListCache status = new StatusListCache(issuer, jwks, fetcher, clock, Duration.ofSeconds(60),
                Duration.ofMinutes(5));
        // verify() checks no DPoP proof: the soak's question is whether the signature and status hold.
        TokenVerifier verifier = new TokenVerifier(issuer, audience, jwks, clock, Duration.ofSeconds(30), null);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ScheduledExecutorService checks = Executors.newScheduledThreadPool(2);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("E"); ) {
            String[] f = line.split(" ", 4);
            if (f.length != 4 || !f[0].equals("T")) {
                continue;
            }
            String id = f[1];
            String token = f[3];
            long delay = Math.max(0, Long.parseLong(f[2]) - System.currentTimeMillis());
            checks.schedule(() -> {
                String outcome;
                try {
                    VerifiedToken t = verifier.verify(token);
                    status.check(t);
                    outcome = "ok";
                } catch (Rejected e) {
                    outcome = e.reason();
                } catch (RuntimeException e) {
                    outcome = "error:" + e.getClass().getSimpleName();
                }
                synchronized (out) {
                    out.println("V " + id + " " + System.currentTimeMillis() + " " + outcome);
                }
            }, delay, TimeUnit.MILLISECONDS);
        }
        checks.shutdown();
        checks.awaitTermination(1, TimeUnit.HOURS);
        synchronized (out) {
            out.println("DONE fetches=" + jwks.fetches());
        }
    }
}
