package dev.signet.api;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.issuance.Exchange;
import dev.signet.verifier.DpopVerifier;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** An agent with its own P-256 key, as delegation tests and benchmarks drive the exchange endpoint. */
final class Delegates {

    static final String ENDPOINT = "https://signet.test/v1/token-exchange";

    private Delegates() {
    }

    static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String jkt(ECKey key) {
        return DpopVerifier.thumbprint(key.toPublicJWK());
    }

    /** A DPoP proof for the exchange endpoint with {@code ath} over {@code subjectToken}. */
    static String proof(ECKey key, Clock clock, String htm, String htu, String subjectToken) {
        return sign(key, "dpop+jwt", true, new JWTClaimsSet.Builder().claim("htm", htm).claim("htu", htu)
                .issueTime(Date.from(clock.instant())).jwtID(UUID.randomUUID().toString())
                .claim("ath", DpopVerifier.ath(subjectToken)).build());
    }

    /** The sub-agent's actor token: its own key in {@code jwk}, sub, aud = the issuer, iat, jti. */
    static String actorToken(ECKey key, Clock clock, String sub) {
        return sign(key, "JWT", true, new JWTClaimsSet.Builder().subject(sub).audience("https://signet.test")
                .issueTime(Date.from(clock.instant())).jwtID(UUID.randomUUID().toString()).build());
    }

    static String sign(ECKey key, String typ, boolean withJwk, JWTClaimsSet claims) {
        JWSHeader.Builder h = new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ));
        if (withJwk) {
            h.jwk(key.toPublicJWK());
        } else {
            h.keyID(key.getKeyID());
        }
        SignedJWT jwt = new SignedJWT(h.build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return jwt.serialize();
    }

    /** The usual exchange form: subject_token proven by {@code holder}, child bound to {@code child} named {@code actor}. */
    static Map<String, String> form(String subjectToken, ECKey child, Clock clock, String actor) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("grant_type", Exchange.GRANT_TYPE);
        f.put("subject_token", subjectToken);
        f.put("subject_token_type", Exchange.ACCESS_TOKEN_TYPE);
        f.put("actor_token", actorToken(child, clock, actor));
        f.put("actor_token_type", Exchange.JWT_TYPE);
        return f;
    }

    static HttpResponse<String> post(TestDaemon d, Map<String, String> form, String dpop) {
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> {
            if (v != null) {
                body.append(body.isEmpty() ? "" : "&").append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.base() + "/v1/token-exchange"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (dpop != null) {
            b.header("DPoP", dpop);
        }
        return d.send(b.build());
    }
}
