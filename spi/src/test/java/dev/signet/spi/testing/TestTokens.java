package dev.signet.spi.testing;

import dev.signet.spi.SigningKey;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A minimal compact JWS signed by a {@link SigningKey}, for tests below the issuance room (rotation, backends)
 * that need "a token this key signed" without the token format. Issuance's own tests cover the real claims.
 */
public final class TestTokens {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    /** A signed token: its kid and its exp. */
    public record Signed(String token, String kid, Instant exp) {
    }

    private TestTokens() {
    }

    /** Signs {@code {"exp": ...}} with header {@code alg}, {@code kid}. */
    public static Signed sign(SigningKey key, Instant exp) {
        String header = "{\"alg\":\"" + key.algorithm().jwsName() + "\",\"kid\":\"" + key.id() + "\"}";
        String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + '.'
                + B64.encodeToString(("{\"exp\":" + exp.getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8));
        return new Signed(input + '.' + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII))),
                key.id(), exp);
    }
}
