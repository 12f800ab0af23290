package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Signatures#checkSelfSigned}, the one reading of DPoP proofs and actor tokens: the same answers whether the
 * JWS is read directly (a plain ES256 proof with a P-256 {@code jwk}) or through Nimbus (an RSA {@code jwk}), and
 * each refusal named by its reason.
 */
class SelfSignedTest {

    static final JOSEObjectType DPOP = new JOSEObjectType("dpop+jwt");
    final Signatures signatures = Signatures.jdk();

    static String sign(JWSAlgorithm alg, JWK headerKey, JWSSigner signer, JOSEObjectType typ, String payload)
            throws Exception {
        JWSHeader.Builder h = new JWSHeader.Builder(alg).type(typ);
        if (headerKey != null) {
            h.jwk(headerKey);
        }
        JWSObject jws = new JWSObject(h.build(), new Payload(payload));
        jws.sign(signer);
        return jws.serialize();
    }

    @Test
    void bothReadingsGiveThePayloadAndTheKeysThumbprint() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        RSAKey rsa = new RSAKeyGenerator(2048).generate();
        String direct = sign(JWSAlgorithm.ES256, ec.toPublicJWK(), new ECDSASigner(ec), DPOP, "{\"jti\":\"a\"}");
        String nimbus = sign(JWSAlgorithm.PS256, rsa.toPublicJWK(), new RSASSASigner(rsa), DPOP, "{\"jti\":\"b\"}");
        assertNotNull(CompactJws.parse(direct), "the ES256 proof has the shape read directly");
        assertNull(CompactJws.parse(nimbus), "an RSA key is left to Nimbus");

        Signatures.SelfSigned a = signatures.checkSelfSigned(direct, DPOP, "the proof");
        assertEquals(Map.of("jti", "a"), a.payload());
        assertEquals(ec.computeThumbprint().toString(), a.keyThumbprint());
        Signatures.SelfSigned b = signatures.checkSelfSigned(nimbus, null, "the proof");
        assertEquals(Map.of("jti", "b"), b.payload());
        assertEquals(rsa.computeThumbprint().toString(), b.keyThumbprint());
    }

    @Test
    void eachRefusalIsNamedOnEitherReading() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        ECKey other = new ECKeyGenerator(Curve.P_256).generate();
        RSAKey rsa = new RSAKeyGenerator(2048).generate();
        assertEquals("malformed", reason("not.a jws", DPOP));
        assertEquals("payload", reason(sign(JWSAlgorithm.ES256, ec.toPublicJWK(), new ECDSASigner(ec), DPOP, "[1]"), DPOP));
        // typ: read directly (P-256) and through Nimbus (RSA)
        assertEquals("typ", reason(sign(JWSAlgorithm.ES256, ec.toPublicJWK(), new ECDSASigner(ec), JOSEObjectType.JWT, "{}"), DPOP));
        assertEquals("typ", reason(sign(JWSAlgorithm.PS256, rsa.toPublicJWK(), new RSASSASigner(rsa), JOSEObjectType.JWT, "{}"), DPOP));
        assertEquals("no_key", reason(sign(JWSAlgorithm.ES256, null, new ECDSASigner(ec), DPOP, "{}"), DPOP));
        // signed by another key than the header's: read directly, and through Nimbus
        assertEquals("bad_signature", reason(sign(JWSAlgorithm.ES256, ec.toPublicJWK(), new ECDSASigner(other), DPOP, "{}"), DPOP));
        assertEquals("bad_signature", reason(sign(JWSAlgorithm.PS256, new RSAKeyGenerator(2048).generate().toPublicJWK(),
                new RSASSASigner(rsa), DPOP, "{}"), DPOP));
    }

    String reason(String text, JOSEObjectType type) {
        return assertThrows(Rejected.class, () -> signatures.checkSelfSigned(text, type, "the proof")).reason();
    }
}
