package dev.signet.api;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.function.Function;

/**
 * {@link RequestBodyBench}'s comparison by the thread's own CPU time instead of wall time, in interleaved blocks:
 * on a machine shared with other work, time spent descheduled does not count, so the ratio holds where JMH's
 * wall-clock figures do not. Prints the median CPU nanoseconds per parse of each reader and their ratio.
 *
 * <pre>java -cp 'ops/bench/target/classes:ops/bench/target/lib/*' dev.signet.api.RequestBodyCpuTime [ROUNDS]</pre>
 */
public final class RequestBodyCpuTime {

    private RequestBodyCpuTime() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String shape : new String[]{"single", "batch50"}) {
            String text = shape.equals("single") ? RequestBodyBench.ONE
                    : "{\"requests\":[" + String.join(",", Collections.nCopies(50, RequestBodyBench.ONE)) + "]}";
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            int block = shape.equals("single") ? 20_000 : 400;
            Function<byte[], Object> gson = GsonBodyReader::parseObject;
            Function<byte[], Object> jackson = RequestBodies::parseObject;
            for (int i = 0; i < 10; i++) { // warm-up: both readers through C2
                run(gson, body, block);
                run(jackson, body, block);
            }
            double[] g = new double[rounds];
            double[] j = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = mx.getCurrentThreadCpuTime();
                run(gson, body, block);
                long t1 = mx.getCurrentThreadCpuTime();
                run(jackson, body, block);
                long t2 = mx.getCurrentThreadCpuTime();
                g[r] = (t1 - t0) / (double) block;
                j[r] = (t2 - t1) / (double) block;
            }
            double gm = median(g);
            double jm = median(j);
            System.out.printf("%-8s gson %.0f ns CPU/parse, jackson %.0f ns CPU/parse (medians of %d interleaved blocks of %d): "
                    + "jackson/gson %.2f%n", shape, gm, jm, rounds, block, jm / gm);
        }
    }

    private static int sink;

    private static void run(Function<byte[], Object> parser, byte[] body, int n) {
        for (int i = 0; i < n; i++) {
            sink += parser.apply(body).hashCode();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
