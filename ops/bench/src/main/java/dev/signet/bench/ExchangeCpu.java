package dev.signet.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link ExchangeBench}'s {@code rawCrypto} and {@code exchange} (OpenSSL verification) per CPU-second of the thread
 * that runs them rather than per wall-clock second, interleaved in turns of 50 operations: JMH's throughput is per
 * wall-clock second, which on a loaded machine counts the time the thread waited for a core, while the daemon's
 * figure is per CPU-second it got. This is the yardstick that a loaded machine can still compare with the daemon's
 * exchanges per server CPU-second (load still slows each CPU-second through shared caches, for both alike). The
 * requests (a fresh DPoP proof and actor token each) are made outside the measured turns; the first half of the
 * time, and at least 5 000 of each, warm both up (the JIT) and are not counted.
 *
 * <pre>ExchangeCpu SECONDS   prints: cpu: rawCrypto=N/s exchange=N/s (per thread CPU-second)</pre>
 */
public final class ExchangeCpu {

    private static final int TURN = 50;
    private static final int WARM_UP = 5_000;

    private ExchangeCpu() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        ExchangeBench bench = new ExchangeBench();
        bench.verification = "openssl";
        bench.setUp();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try {
            long raw = 0;
            long exchanges = 0;
            long rawNanos = 0;
            long exchangeNanos = 0;
            long warmUntil = System.nanoTime() + (long) (seconds * 0.5e9);
            long end = Long.MAX_VALUE;
            for (int turn = 0; System.nanoTime() < end; turn++) {
                List<Map<String, String>> forms = new ArrayList<>(TURN);
                List<String> proofs = new ArrayList<>(TURN);
                for (int i = 0; i < TURN; i++) {
                    bench.request();
                    forms.add(bench.form);
                    proofs.add(bench.proof);
                }
                // Warm-up: half the time, and at least WARM_UP of each (the JIT), however slow a loaded machine is.
                boolean measured = end != Long.MAX_VALUE;
                if (!measured && System.nanoTime() >= warmUntil && (long) turn * TURN >= WARM_UP) {
                    end = System.nanoTime() + (long) (seconds * 0.5e9);
                }
                long t0 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < TURN; i++) {
                    if (bench.rawCrypto() == null) {
                        throw new IllegalStateException("rawCrypto: a verification failed");
                    }
                }
                long t1 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < TURN; i++) {
                    bench.exchange.exchange(forms.get(i), proofs.get(i), ExchangeBench.HTU);
                }
                long t2 = threads.getCurrentThreadCpuTime();
                if (measured) {
                    rawNanos += t1 - t0;
                    exchangeNanos += t2 - t1;
                    raw += TURN;
                    exchanges += TURN;
                }
            }
            System.out.printf("cpu: rawCrypto=%.0f/s exchange=%.0f/s (per thread CPU-second, %d of each, interleaved)%n",
                    raw / (rawNanos / 1e9), exchanges / (exchangeNanos / 1e9), raw);
        } finally {
            bench.tearDown();
        }
    }
}
