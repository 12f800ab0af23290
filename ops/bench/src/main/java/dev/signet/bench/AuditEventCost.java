package dev.signet.bench;

import dev.signet.audit.AuditEvent;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a token's audit record costs its request thread before the writer sees it, in process: building the
 * {@link AuditEvent} (as Issuance does) and encoding its fields to the record's UTF-8 tail ({@code RecordJson},
 * package-private, reached by reflection: this is a bench, not an API). Best of REPS passes of N records each.
 * To compare two versions, run it against each one's {@code audit/target/classes} in turn, several times.
 *
 * <pre>java -cp 'audit/target/classes:ops/bench/target/classes:ops/bench/target/lib/*' dev.signet.bench.AuditEventCost [REPS] [N]</pre>
 */
public final class AuditEventCost {

    private AuditEventCost() {
    }

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 300_000;
        Method tail = Class.forName("dev.signet.audit.RecordJson").getDeclaredMethod("tail", Map.class);
        tail.setAccessible(true);
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            events.add(token(i));
        }
        long sink = 0;
        double bestBuild = Double.MAX_VALUE;
        double bestTail = Double.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += token(i).fields().size();
            }
            bestBuild = Math.min(bestBuild, (System.nanoTime() - t0) / 1e3 / n);
            t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += ((byte[]) tail.invoke(null, events.get(i & 1023).fields())).length;
            }
            bestTail = Math.min(bestTail, (System.nanoTime() - t0) / 1e3 / n);
        }
        System.out.printf("token event: build %.3f us, encode %.3f us (best of %d x %d; %d)%n", bestBuild, bestTail,
                reps, n, sink % 7);
    }

    /** The fields Issuance records for a minted token. */
    private static AuditEvent token(int i) {
        return AuditEvent.of("token").put("jti", "Xk3_jd8-" + i).put("iat", 1764500000L + i)
                .put("exp", 1764500600L + i).put("sub", "agent-7").put("aud", List.of("https://api.example.com"))
                .put("client_id", "bench-minter").put("task", null)
                .put("scope", List.of(Map.of("resource", "repo:acme/widgets", "actions", List.of("read"))))
                .put("kid", "sub-" + (i & 0xff)).put("cnf_jkt", null)
                .put("status_list", "https://signet.example/status/1").put("status_idx", (long) i).build();
    }
}
