package dev.signet.bench;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.verifier.CompactJws;
import dev.signet.verifier.DpopVerifier;
import dev.signet.verifier.Signatures;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Callable;

/**
 * How an exchange reads its three inputs (the parent token, the DPoP proof, the actor token), Nimbus' way
 * ({@code SignedJWT}/{@code JWSObject.parse}, gson, {@code JWK.parse}, as before the sixth session) beside
 * {@link CompactJws}'s (the daemon's now), in one JVM, interleaved in turns of 1 000, per thread CPU-microsecond; the
 * first half of the turns warm up. Each reading includes what the exchange takes from it: claims (a
 * {@code JWTClaimsSet} for the parent and the actor token, the map for the proof) and the header key's thumbprint.
 *
 * <pre>ExchangeParseCpu [TURNS, default 60]</pre>
 */
public final class ExchangeParseCpu {

    private static final int TURN = 1_000;

    private ExchangeParseCpu() {
    }

    public static void main(String[] args) throws Exception {
        int turns = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        ExchangeBench bench = new ExchangeBench();
        bench.verification = "openssl";
        bench.setUp();
        try {
            bench.request();
            String parent = bench.parent;
            String proof = bench.proof;
            String actor = bench.form.get("actor_token");
            String[] names = {"parent nimbus", "parent direct", "proof nimbus", "proof direct", "actor nimbus", "actor direct"};
            @SuppressWarnings("unchecked")
            Callable<Object>[] reads = new Callable[] {
                () -> Signatures.claims(SignedJWT.parse(parent)),
                () -> JWTClaimsSet.parse(CompactJws.parse(parent).payload()),
                () -> {
                    JWSObject j = JWSObject.parse(proof);
                    Signatures.payloadJson(j);
                    return DpopVerifier.thumbprint(j.getHeader().getJWK());
                },
                () -> {
                    CompactJws j = CompactJws.parse(proof);
                    j.payload();
                    return j.keyThumbprint();
                },
                () -> {
                    SignedJWT j = SignedJWT.parse(actor);
                    Signatures.claims(j);
                    return DpopVerifier.thumbprint(j.getHeader().getJWK());
                },
                () -> {
                    CompactJws j = CompactJws.parse(actor);
                    JWTClaimsSet.parse(j.payload());
                    return j.keyThumbprint();
                },
            };
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long[] nanos = new long[reads.length];
            for (int turn = 0; turn < turns; turn++) {
                for (int k = 0; k < reads.length; k++) {
                    long t0 = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < TURN; i++) {
                        reads[k].call();
                    }
                    if (turn >= turns / 2) {
                        nanos[k] += threads.getCurrentThreadCpuTime() - t0;
                    }
                }
            }
            StringBuilder line = new StringBuilder("parse us:");
            double nimbus = 0;
            double direct = 0;
            for (int k = 0; k < reads.length; k++) {
                double us = nanos[k] / 1e3 / TURN / (turns - turns / 2);
                line.append(String.format(" %s=%.2f", names[k].replace(' ', '_'), us));
                if (k % 2 == 0) {
                    nimbus += us;
                } else {
                    direct += us;
                }
            }
            System.out.println(line.append(String.format(" | per exchange: nimbus=%.2f direct=%.2f", nimbus, direct)));
        } finally {
            bench.tearDown();
        }
    }
}
