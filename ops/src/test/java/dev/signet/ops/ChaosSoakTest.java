package dev.signet.ops;

import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
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
        RealBackends.require(KmsDaemonTest.motoInstalled(), "moto_server", "pip install 'moto[server]' (preinstalled on these machines)");
        double minutes = Double.parseDouble(System.getProperty("signet.soak.minutes", "2"));
        String keep = System.getProperty("signet.soak.dir", "");
        long seed = Long.parseLong(System.getProperty("signet.soak.seed", Long.toString(System.nanoTime())));
        Path out = keep.isBlank() ? dir : Path.of(keep);
        System.out.println("chaos soak: seed " + seed + " (-Dsignet.soak.seed to repeat the fault schedule), logs in " + out);
        List<String> failed = new ChaosSoak(out, Duration.ofSeconds((long) (minutes * 60)), seed,
                EnumSet.allOf(ChaosSoak.Fault.class), System.out).run();
        assertEquals(List.of(), failed, "must-be-zero counts of the chaos soak (summary above, seed " + seed + ")");
    }
}
