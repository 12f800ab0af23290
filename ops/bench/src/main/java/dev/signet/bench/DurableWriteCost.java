package dev.signet.bench;

import com.sun.nio.file.ExtendedOpenOption;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * What making one audit group durable costs the kernel from Java, per way of writing it: the system CPU of the
 * writing thread per group and the latency (p50, p99), modes interleaved per round so a loaded machine weighs on all
 * alike. The question is issue 14's second lever: would a preallocated journal, overwritten in place, make a group
 * durable for less than appending to the JSON-lines segment does?
 *
 * <ul>
 *   <li>{@code append}: write at the end + {@code force(false)} (fdatasync): what the audit log does</li>
 *   <li>{@code ring}: overwrite inside a zero-filled, fsynced, fixed-size file + fdatasync (a journal's ring)</li>
 *   <li>{@code ring-dsync}: the same through {@code DSYNC} (O_DSYNC: one system call)</li>
 *   <li>{@code ring-direct}: the same through {@code DIRECT} + {@code DSYNC}, one 4 KiB aligned block per group</li>
 * </ul>
 *
 * <pre>java -cp 'ops/bench/target/classes:ops/bench/target/lib/*' dev.signet.bench.DurableWriteCost [DIR] [GROUPS] [ROUNDS] [BYTES]</pre>
 */
public final class DurableWriteCost {

    private static final String[] MODES = {"append", "ring", "ring-dsync", "ring-direct"};
    private static final int BLOCK = 4096;

    private DurableWriteCost() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        int groups = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int bytes = args.length > 3 ? Integer.parseInt(args[3]) : 512;
        if (bytes > BLOCK) {
            throw new IllegalArgumentException("at most " + BLOCK + " bytes per group");
        }
        System.out.printf("== %d groups of %d bytes made durable per mode and round, %d interleaved rounds, in %s%n",
                groups, bytes, rounds, dir);
        double[][] cpu = new double[MODES.length][rounds];
        double[][] p50 = new double[MODES.length][rounds];
        double[][] p99 = new double[MODES.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int m = 0; m < MODES.length; m++) {
                double[] res = run(dir, MODES[m], groups, bytes);
                cpu[m][r] = res[0];
                p50[m][r] = res[1];
                p99[m][r] = res[2];
            }
        }
        for (int m = 0; m < MODES.length; m++) {
            System.out.printf("%-12s system CPU %s us/group   p50 %s ms   p99 %s ms%n", MODES[m], fmt(cpu[m], "%5.0f"),
                    fmt(p50[m], "%6.3f"), fmt(p99[m], "%6.2f"));
        }
    }

    private static String fmt(double[] v, String f) {
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(String.format(f, x)).append(' ');
        }
        return b.toString().trim();
    }

    /** Returns system CPU microseconds per group, p50 and p99 milliseconds. */
    private static double[] run(Path dir, String mode, int groups, int bytes) throws Exception {
        Path f = dir.resolve("durable-write-cost-" + mode);
        Files.deleteIfExists(f);
        boolean ring = mode.startsWith("ring");
        long ringBytes = (long) groups * BLOCK;
        if (ring) { // made once, as a journal would be: zero-filled and fsynced
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer z = ByteBuffer.allocate(1 << 16);
                for (long p = 0; p < ringBytes; p += z.capacity()) {
                    z.clear();
                    c.write(z, p);
                }
                c.force(true);
            }
        }
        OpenOption[] opts = switch (mode) {
            case "append" -> new OpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND};
            case "ring" -> new OpenOption[] {StandardOpenOption.WRITE};
            case "ring-dsync" -> new OpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.DSYNC};
            default -> new OpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.DSYNC, ExtendedOpenOption.DIRECT};
        };
        ByteBuffer buf = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK);
        for (int i = 0; i < bytes; i++) {
            buf.put(i, (byte) (i % 64 == 63 ? '\n' : 'x'));
        }
        var mx = ManagementFactory.getThreadMXBean();
        long[] lat = new long[groups];
        try (FileChannel c = FileChannel.open(f, opts)) {
            long cpu0 = mx.getCurrentThreadCpuTime() - mx.getCurrentThreadUserTime();
            for (int i = 0; i < groups; i++) {
                long t0 = System.nanoTime();
                buf.clear().limit(mode.equals("ring-direct") ? BLOCK : bytes);
                switch (mode) {
                    case "append" -> {
                        c.write(buf);
                        c.force(false);
                    }
                    case "ring" -> {
                        c.write(buf, (long) i * BLOCK);
                        c.force(false);
                    }
                    default -> c.write(buf, (long) i * BLOCK);
                }
                lat[i] = System.nanoTime() - t0;
            }
            long sys = mx.getCurrentThreadCpuTime() - mx.getCurrentThreadUserTime() - cpu0;
            Arrays.sort(lat);
            return new double[] {sys / 1e3 / groups, lat[groups / 2] / 1e6, lat[groups * 99 / 100] / 1e6};
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
