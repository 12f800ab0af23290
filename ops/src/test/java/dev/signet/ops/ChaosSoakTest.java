package dev.signet.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The chaos soak ({@link ChaosSoak}) for {@code signet.soak.minutes} (2 in the normal suite and CI): fails on any
 * must-be-zero count. {@code ops/bin/soak MINUTES} runs this test alone, longer, keeping its logs.
 */
class ChaosSoakTest {

    @TempDir
    Path dir;

    @Test
    void nothingIsLostUnderFaults() throws Exception {
        Moto.require();
        double minutes = Double.parseDouble(System.getProperty("signet.soak.minutes", "2"));
        String keep = System.getProperty("signet.soak.dir", "");
        long seed = Long.parseLong(System.getProperty("signet.soak.seed", Long.toString(System.nanoTime())));
        Path out = keep.isBlank() ? dir : Path.of(keep);
        System.out.println("chaos soak: seed " + seed + " (-Dsignet.soak.seed to repeat the fault schedule), logs in " + out);
        List<String> failed = new ChaosSoak(out, Duration.ofSeconds((long) (minutes * 60)), seed,
                EnumSet.allOf(ChaosSoak.Fault.class), System.out).run();
        assertEquals(List.of(), failed, "must-be-zero counts of the chaos soak (summary above, seed " + seed + ")");
    }

    /** The soak's verdicts on verifier answers, without processes: each kind of failure is caught, and only it. */
    @Test
    void theSoakTellsFailuresFromRefusalsOnPurpose() throws Exception {
        ChaosSoak soak = new ChaosSoak(dir, Duration.ofMinutes(2), 1, EnumSet.noneOf(ChaosSoak.Fault.class),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        ChaosSoak.Phase phase = soak.new Phase("direct", Duration.ofMinutes(1));
        Instant now = Instant.now();
        Instant exp = now.plusSeconds(300);
        java.util.function.BiFunction<String, String, ChaosSoak.Issued> token = (id, kid) -> {
            ChaosSoak.Issued t = new ChaosSoak.Issued(id, "t", "jti-" + id, kid, exp, now, "az-a", "task-" + id,
                    "single", null);
            phase.issued.put(id, t);
            return t;
        };
        token.apply("1", "k1");
        phase.checked("1", now.plusSeconds(10), "ok");
        token.apply("2", "k1");
        phase.checked("2", now.plusSeconds(10), "unknown_kid");           // no window open: a failure
        token.apply("3", "k1");
        phase.windows.add(now.plusSeconds(5));
        phase.checked("3", now.plusSeconds(10), "unknown_kid");           // inside a forced activation's window
        token.apply("4", "k2");
        phase.revokedKids.put("k2", now.plusSeconds(1));
        phase.checked("4", now.plusSeconds(10), "bad_signature");         // its key was revoked on purpose
        token.apply("5", "k1");
        phase.checked("5", now.plusSeconds(10), "revoked");               // never revoked: a failure
        token.apply("6", "k1");
        phase.revokedTasks.put("task-6", now.plusSeconds(2));
        phase.checked("6", now.plusSeconds(10), "revoked");
        token.apply("7", "k1");
        phase.revokedJtis.put("jti-7", now.plusSeconds(2));
        phase.checked("7", now.plusSeconds(200), "ok");                   // accepted long after its revocation
        token.apply("8", "k1");
        phase.checked("8", exp.plusSeconds(1), "expired");                // checked late: not the issuer's fault
        token.apply("9", "k3");
        phase.unpublishes.put("k3", exp.minusSeconds(1));
        phase.checked("9", now.plusSeconds(10), "ok");                    // outlives its key's publication
        token.apply("10", "k4");
        phase.kidRevokeAnswered.put("k4", now.minusSeconds(120));
        phase.revokedKids.put("k4", now.minusSeconds(121));
        phase.checked("10", now.plusSeconds(10), "unknown_kid");          // signed by a key revoked 2 min before
        phase.finalChecks();
        List<String> failed = soak.summary();
        assertEquals(List.of("failed to verify while unexpired and unrevoked = 1",
                "unknown kid at a verifier honouring max-age = 1",
                "token exp beyond its key's publication = 1",
                "token signed by a revoked key after max-age = 1",
                "revoked token accepted = 1"), failed);
        assertEquals(3, soak.counts.get("tokens verified").get());
        assertEquals(1, soak.counts.get("unknown kid inside a forced-activation/key-revoke window").get());
        assertEquals(2, soak.counts.get("tokens refused after their key was revoked (on purpose)").get());
    }
}
