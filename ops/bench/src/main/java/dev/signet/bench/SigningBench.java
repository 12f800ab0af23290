package dev.signet.bench;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * Raw JCA signing rates, SunEC against BouncyCastle, which chose the in-memory signer
 * ({@code InMemorySigning}). Throughput is per benchmark thread (run with -t 1 for per-core figures).
 */
@State(Scope.Thread)
public class SigningBench {

    static final byte[] INPUT = ("eyJhbGciOiJFUzI1NiIsImtpZCI6IngiLCJ0eXAiOiJhdCtqd3QifQ."
            + "eyJpc3MiOiJodHRwczovL3NpZ25ldCIsInN1YiI6ImFnZW50LTciLCJhdWQiOiJodHRwczovL2FwaSJ9")
            .getBytes(StandardCharsets.US_ASCII);

    @Param({"ES256", "EdDSA"})
    public String alg;

    @Param({"SunEC", "BC"})
    public String provider;

    Signature raw;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Provider p = provider.equals("BC") ? new BouncyCastleProvider() : java.security.Security.getProvider("SunEC");
        KeyPair pair;
        if (alg.equals("ES256")) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
            g.initialize(new ECGenParameterSpec("secp256r1"));
            pair = g.generateKeyPair();
            raw = Signature.getInstance(provider.equals("BC") ? "SHA256withPLAIN-ECDSA" : "SHA256withECDSAinP1363Format", p);
        } else {
            pair = KeyPairGenerator.getInstance("Ed25519", p).generateKeyPair();
            raw = Signature.getInstance("Ed25519", p);
        }
        raw.initSign(pair.getPrivate());
    }

    @Benchmark
    public byte[] rawSign() throws Exception {
        raw.update(INPUT);
        return raw.sign();
    }

}
