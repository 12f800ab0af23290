package dev.signet.issuance;

import dev.signet.revocation.StatusLists;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** The status list figures in BENCHMARKS.md (a main, not a test: run it by hand as BENCHMARKS.md says). */
public class StatusListBench {
    public static void main(String[] a) {
        SigningKey key = InMemorySigning.generate(SigningAlgorithm.ES256);
        Clock clock = Clock.systemUTC();
        // 1. claim cost on single-token signing
        TokenIssuer issuer = new TokenIssuer("https://signet.bench", clock);
        TokenRequest req = new TokenRequest("agent", "https://aud", Duration.ofMinutes(5),
                List.of(new ScopeItem("repo:a/b", List.of("read"))), Optional.of("task-1"), Optional.empty());
        StatusLists claimLists = new StatusLists("https://signet.bench", "r", null,
                StatusLists.Settings.defaults(Duration.ofHours(1)), clock, () -> key);
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            int n = 20000;
            for (int i = 0; i < n; i++) issuer.issue(key, "m", req, Instant.MAX, null, null, 0);
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) issuer.issue(key, "m", req, Instant.MAX, null, claimLists, 0);
            long t2 = System.nanoTime();
            System.out.printf("round %d: without status %.0f tokens/s, with status %.0f tokens/s%n", round,
                    n / ((t1 - t0) / 1e9), n / ((t2 - t1) / 1e9));
        }
        // 2. 10M live tokens, few revoked; 3. revoke a task of 100k
        StatusLists s = new StatusLists("https://signet.bench", "r", null,
                StatusLists.Settings.defaults(Duration.ofHours(1)), clock, () -> key);
        SecureRandom r = new SecureRandom();
        byte[] b = new byte[16];
        Base64.Encoder e = Base64.getUrlEncoder().withoutPadding();
        Instant exp = clock.instant().plusSeconds(3000);
        String someJti = null;
        long t0 = System.nanoTime();
        for (int i = 0; i < 10_000_000; i++) {
            r.nextBytes(b);
            String jti = e.encodeToString(b);
            if (i == 5_000_000) someJti = jti;
            s.allocate(new StatusLists.Token(jti, exp, i % 100 == 0 ? "big" : "task-" + (i % 50_000),
                    "agent-" + (i % 100_000), "minter-" + (i % 10), null));
        }
        long t1 = System.nanoTime();
        System.gc();
        Runtime rt = Runtime.getRuntime();
        System.out.printf("10M allocations: %.1f s, heap used %d MB%n", (t1 - t0) / 1e9, (rt.totalMemory() - rt.freeMemory()) >> 20);
        for (int i = 0; i < 10; i++) {
            r.nextBytes(b);
        }
        s.revoke(StatusLists.Kind.JTI, someJti, null);
        long total = 0;
        for (String id : s.published()) total += s.served(id).orElseThrow().body().length;
        System.out.printf("lists: %d, served total %d bytes (1 revoked)%n", s.published().size(), total);
        long t2 = System.nanoTime();
        var rule = s.revoke(StatusLists.Kind.TASK, "big", null);
        long t3 = System.nanoTime();
        System.out.printf("revoke task with %d live tokens among 10M: %.0f ms%n", rule.covered(), (t3 - t2) / 1e6);
        try { Thread.sleep(1100); } catch (InterruptedException x) { }
        total = 0;
        for (String id : s.published()) total += s.served(id).orElseThrow().body().length;
        System.out.printf("served total after revoking 100k: %d bytes%n", total);
    }
}
