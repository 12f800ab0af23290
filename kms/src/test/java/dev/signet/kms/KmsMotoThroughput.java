package dev.signet.kms;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackends;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Signs per second against a local moto_server, through the whole backend (budget, breaker, local verification).
 * Not a test: run by hand, see {@code kms/README.md}. moto's numbers say nothing about AWS KMS latency.
 */
public final class KmsMotoThroughput {

    public static void main(String[] args) throws Exception {
        int signs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        MotoServer moto = new MotoServer();
        moto.beforeAll(null);
        try {
            Map<String, String> values = Map.of("region", "us-east-1", "endpoint", moto.endpoint().toString(),
                    "access-key-id-env", "K", "secret-access-key-env", "S", "algorithms", "ES256,RS256",
                    "max-requests-per-second", "100000", "reconcile-on-open", "false");
            BackendSettings settings = new BackendSettings(values, Path.of("/nonexistent"),
                    "https://bench/" + UUID.randomUUID(), Clock.systemUTC(), Map.of("K", "AKIABENCH", "S", "x")::get);
            try (var backend = KeyBackends.open("kms", settings)) {
                for (SigningAlgorithm alg : List.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256)) {
                    SigningKey key = backend.generate(alg);
                    for (int threads : new int[]{1, 16}) {
                        run(key, 100, threads);
                        double rate = run(key, signs, threads);
                        System.out.printf("%s threads=%d signs=%d: %.0f signs/s%n", alg, threads, signs, rate);
                    }
                }
            }
        } finally {
            moto.stop();
        }
    }

    private static double run(SigningKey key, int signs, int threads) throws Exception {
        byte[] input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9".getBytes(StandardCharsets.US_ASCII);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<byte[]>> done = new java.util.ArrayList<>();
            for (int i = 0; i < signs; i++) {
                done.add(pool.submit(() -> key.sign(input)));
            }
            for (Future<byte[]> f : done) {
                f.get();
            }
            return signs / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }
}
