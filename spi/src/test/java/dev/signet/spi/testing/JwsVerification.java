package dev.signet.spi.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;

import java.text.ParseException;

/** Verifies compact JWS with Nimbus, the independent Java verifier of the test suites. */
public final class JwsVerification {

    private JwsVerification() {
    }

    public static JWSVerifier verifierFor(JWK jwk) throws JOSEException {
        return switch (jwk) {
            case ECKey ec -> new ECDSAVerifier(ec);
            case OctetKeyPair okp -> new Ed25519Verifier(okp);
            case RSAKey rsa -> new RSASSAVerifier(rsa);
            default -> throw new IllegalArgumentException("unsupported JWK " + jwk.getKeyType());
        };
    }

    public static boolean verifies(String compact, JWK jwk) {
        try {
            return JWSObject.parse(compact).verify(verifierFor(jwk));
        } catch (ParseException | JOSEException e) {
            throw new AssertionError("cannot verify " + compact, e);
        }
    }
}
