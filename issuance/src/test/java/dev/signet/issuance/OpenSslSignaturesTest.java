package dev.signet.issuance;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.signet.software.InMemorySigning;
import dev.signet.software.P256Verifier;
import dev.signet.spi.SignetException;
import dev.signet.spi.testing.RealBackends;
import dev.signet.verifier.Rejected;
import dev.signet.verifier.Signatures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static dev.signet.verifier.testing.SeededCases.forAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon's exchange checks ES256 signatures through OpenSSL ({@code Signatures.withEs256}); every JWS gets the
 * answer the JDK path ({@code Signatures.jdk()}, Nimbus) gives, down to the reason and message: seeded random keys
 * and payloads with the signature segment tampered (bits, length, R or S zero or n, high S, other key), the
 * payload changed, a {@code crit} header, a P-384 key, a key for another algorithm.
 */
class OpenSslSignaturesTest {

    private static final BigInteger N = new BigInteger(
            "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    private static Signatures openssl;
    private static final List<ECKey> KEYS = new ArrayList<>();

    @BeforeAll
    static void loadLibcrypto() throws Exception {
        P256Verifier verifier = null;
        String why = null;
        try {
            verifier = InMemorySigning.choose("openssl").p256Verifier().orElse(null);
        } catch (SignetException e) {
            why = e.getMessage();
        }
        RealBackends.require(verifier != null, "OpenSSL 3 libcrypto through FFM (" + why + ")",
                "apt-get install libssl3 and run on JDK 22 or newer");
        openssl = Signatures.withEs256(verifier::verify, verifier.description());
        for (int i = 0; i < 8; i++) {
            KEYS.add(new ECKeyGenerator(Curve.P_256).generate());
        }
    }

    @Test
    void everyTamperedJwsGetsTheJdksAnswer() {
        int[] valid = {0};
        forAll(300, 15_000L, r -> {
            ECKey key = KEYS.get(r.nextInt(KEYS.size()));
            String jws = sign(key, header(r), payload(r));
            String tampered = tamper(r, jws);
            JWK verifyWith = r.nextInt(10) == 0 ? KEYS.get(r.nextInt(KEYS.size())).toPublicJWK() : key.toPublicJWK();
            String jdk = outcome(Signatures.jdk(), tampered, verifyWith);
            assertEquals(jdk, outcome(openssl, tampered, verifyWith), "for " + tampered);
            if (jdk.equals("valid")) {
                valid[0]++;
            }
        });
        assertTrue(valid[0] > 30, "some cases verify (" + valid[0] + "), so agreement is not only on refusals");
    }

    @Test
    void keysTheJdkPathHandlesStayThere() throws Exception {
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        String jws = sign(KEYS.get(0), new JWSHeader(JWSAlgorithm.ES256), "{}");
        for (JWK key : List.of(p384.toPublicJWK(), new ECKey.Builder(KEYS.get(0).toPublicJWK()).algorithm(JWSAlgorithm.ES384).build())) {
            assertEquals(outcome(Signatures.jdk(), jws, key), outcome(openssl, jws, key));
        }
        String crit = sign(KEYS.get(0), new JWSHeader.Builder(JWSAlgorithm.ES256).criticalParams(Set.of("exp")).customParam("exp", 1).build(), "{}");
        assertEquals("bad_signature: t: the signature does not verify", outcome(openssl, crit, KEYS.get(0).toPublicJWK()));
        assertEquals(outcome(Signatures.jdk(), crit, KEYS.get(0).toPublicJWK()), outcome(openssl, crit, KEYS.get(0).toPublicJWK()));
    }

    private static JWSHeader header(Random r) {
        JWSHeader.Builder b = new JWSHeader.Builder(JWSAlgorithm.ES256);
        if (r.nextBoolean()) {
            b.type(new JOSEObjectType(r.nextBoolean() ? "dpop+jwt" : "at+jwt"));
        }
        return b.build();
    }

    private static String payload(Random r) {
        StringBuilder s = new StringBuilder("{\"jti\":\"");
        for (int i = r.nextInt(200); i > 0; i--) {
            s.append((char) ('a' + r.nextInt(26)));
        }
        return s.append("\"}").toString();
    }

    private static String sign(ECKey key, JWSHeader header, String payload) {
        try {
            JWSObject jws = new JWSObject(header, new Payload(payload));
            jws.sign(new ECDSASigner(key));
            return jws.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tamper(Random r, String jws) {
        String[] parts = jws.split("\\.");
        byte[] sig = Base64URL.from(parts[2]).decode();
        switch (r.nextInt(11)) {
            case 0, 1 -> { }
            case 2 -> put(sig, 32, N.subtract(new BigInteger(1, Arrays.copyOfRange(sig, 32, 64))));
            case 3 -> sig[r.nextInt(64)] ^= (byte) (1 << r.nextInt(8));
            case 4 -> sig = Arrays.copyOf(sig, r.nextInt(64));
            case 5 -> sig = Arrays.copyOf(sig, 65 + r.nextInt(8));
            case 6 -> put(sig, r.nextBoolean() ? 0 : 32, BigInteger.ZERO);
            case 7 -> put(sig, r.nextBoolean() ? 0 : 32, N);
            case 8 -> r.nextBytes(sig);
            case 9 -> parts[1] = Base64URL.encode("{\"jti\":\"x\"}").toString();
            default -> sig = new byte[64];
        }
        return parts[0] + "." + parts[1] + "." + Base64URL.encode(sig);
    }

    private static void put(byte[] signature, int offset, BigInteger value) {
        byte[] v = value.toByteArray();
        int n = Math.min(v.length, 32);
        Arrays.fill(signature, offset, offset + 32, (byte) 0);
        System.arraycopy(v, v.length - n, signature, offset + 32 - n, n);
    }

    private static String outcome(Signatures signatures, String compact, JWK key) {
        try {
            signatures.check(JWSObject.parse(compact), key, "t");
            return "valid";
        } catch (Rejected e) {
            return e.reason() + ": " + e.getMessage();
        } catch (ParseException e) {
            return "unparsable";
        }
    }
}
