package dev.signet.issuance;

import dev.signet.revocation.StatusLists;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The status list figures in BENCHMARKS.md (a main, not a test: run it as BENCHMARKS.md says).
 * Argument: how many live tokens (default 10 000 000).
 */
public class StatusListBench {
    public static void main(String[] a) {
        int live = a.length > 0 ? Integer.parseInt(a[0]) : 10_000_000;
        SigningKey key = InMemorySigning.generate(SigningAlgorithm.ES256);
        Clock clock = Clock.systemUTC();

        // 1. The status claim's cost on single-token signing: A (without) and B (with) interleaved in blocks,
        // the order swapped every round, so load on a shared machine hits both alike; the ratio is the figure.
        TokenIssuer issuer = new TokenIssuer("https://signet.bench", clock);
        TokenRequest req = new TokenRequest("agent", "https://aud", Duration.ofMinutes(5),
                List.of(new ScopeItem("repo:a/b", List.of("read"))), Optional.of("task-1"), Optional.empty());
        StatusLists claimLists = new StatusLists("https://signet.bench", "r", null,
                StatusLists.Settings.defaults(Duration.ofHours(1)), clock, () -> key);
        int block = 2000;
        int rounds = 30;
        for (int i = 0; i < 10 * block; i++) { // warm-up
            issuer.issue(key, "m", req, Instant.MAX, null, null, 0);
            issuer.issue(key, "m", req, Instant.MAX, null, claimLists, 0);
        }
        long without = 0;
        long with = 0;
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long a0 = 0;
            long b0 = 0;
            for (int side = 0; side < 2; side++) {
                boolean status = (side + round) % 2 == 1;
                long t0 = System.nanoTime();
                for (int i = 0; i < block; i++) {
                    issuer.issue(key, "m", req, Instant.MAX, null, status ? claimLists : null, 0);
                }
                long t = System.nanoTime() - t0;
                if (status) {
                    b0 = t;
                } else {
                    a0 = t;
                }
            }
            without += a0;
            with += b0;
            ratios[round] = (double) b0 / a0;
        }
        Arrays.sort(ratios);
        System.out.printf("status claim: %d rounds of %d tokens each side; without %.0f tokens/s, with %.0f tokens/s;"
                        + " time ratio with/without: total %.3f, median round %.3f%n", rounds, block,
                rounds * block / (without / 1e9), rounds * block / (with / 1e9), (double) with / without,
                ratios[rounds / 2]);

        // 2. `live` live tokens, few revoked: served bytes and heap; 3. revoking a task of 1 % of them.
        StatusLists s = new StatusLists("https://signet.bench", "r", null,
                StatusLists.Settings.defaults(Duration.ofHours(1)), clock, () -> key);
        SecureRandom r = new SecureRandom();
        byte[] b = new byte[16];
        Base64.Encoder e = Base64.getUrlEncoder().withoutPadding();
        Instant exp = clock.instant().plusSeconds(3000);
        String someJti = null;
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long before = rt.totalMemory() - rt.freeMemory();
        long t0 = System.nanoTime();
        for (int i = 0; i < live; i++) {
            r.nextBytes(b);
            String jti = e.encodeToString(b);
            if (i == live / 2) {
                someJti = jti;
            }
            // tasks big0..big2 hold 1 % of the tokens each; the rest spread over 50 000 tasks
            String task = i % 100 < 3 ? "big" + i % 100 : "task-" + (i % 50_000);
            s.allocate(new StatusLists.Token(jti, exp, task, "agent-" + (i % 100_000), "minter-" + (i % 10), null));
        }
        long t1 = System.nanoTime();
        System.gc();
        long used = rt.totalMemory() - rt.freeMemory() - before;
        System.out.printf("%d allocations: %.1f s; heap for their facts, bits and names after GC: %d MB = %.1f bytes"
                + " a live token%n", live, (t1 - t0) / 1e9, used >> 20, (double) used / live);
        s.revoke(StatusLists.Kind.JTI, someJti, null);
        long total = 0;
        for (String id : s.published()) {
            total += s.served(id).orElseThrow().body().length;
        }
        System.out.printf("lists: %d, every served list token together: %d bytes (1 revoked)%n", s.published().size(), total);
        for (int i = 1; i <= 3; i++) { // warm the scan up on small tasks
            s.revoke(StatusLists.Kind.TASK, "task-" + i, null);
        }
        for (int i = 0; i < 3; i++) {
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long c2 = threads.getCurrentThreadCpuTime();
            long t2 = System.nanoTime();
            var rule = s.revoke(StatusLists.Kind.TASK, "big" + i, null);
            long t3 = System.nanoTime();
            long c3 = threads.getCurrentThreadCpuTime();
            System.out.printf("revoke a task with %d live tokens among %d: %.0f ms wall, %.0f ms CPU%n",
                    rule.covered(), live, (t3 - t2) / 1e6, (c3 - c2) / 1e6);
        }
        try {
            Thread.sleep(1100); // past the 1 s re-signing bound
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
        total = 0;
        for (String id : s.published()) {
            total += s.served(id).orElseThrow().body().length;
        }
        System.out.printf("every served list token together after revoking 3 %% of them: %d bytes%n", total);
    }
}
