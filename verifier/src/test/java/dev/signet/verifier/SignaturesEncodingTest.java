package dev.signet.verifier;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;

import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Signatures#compact}'s one pass answers as the regex it replaced, and {@link Signatures#decode} /
 * {@link Signatures#payloadJson} as Nimbus' decoder, on every string.
 */
class SignaturesEncodingTest {

    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+");
    private static final String ALPHABET = "aZ09_-..=+/ \n\u00e9";

    @Test
    void answersAsTheRegexOnRandomStrings() {
        Random random = new Random(15);
        for (int i = 0; i < 200_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(9); n > 0; n--) {
                b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String s = b.toString();
            assertEquals(COMPACT.matcher(s).matches(), Signatures.compact(s), () -> "'" + s + "'");
        }
    }

    @Test
    void decodeAnswersAsNimbusOnRandomStrings() {
        Random random = new Random(15);
        String alphabet = "AQgw_-Zz09+/= .\n";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(13); n > 0; n--) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            Base64URL text = new Base64URL(b.toString());
            assertArrayEquals(text.decode(), Signatures.decode(text), () -> "'" + text + "'");
        }
        for (int i = 0; i < 2_000; i++) {
            byte[] bytes = new byte[random.nextInt(80)];
            random.nextBytes(bytes);
            Base64URL text = Base64URL.encode(bytes);
            assertArrayEquals(bytes, Signatures.decode(text));
            assertArrayEquals(text.decode(), Signatures.decode(new Base64URL(text + "==".substring(0, (4 - text.toString().length() % 4) % 4 % 3))));
        }
    }

    @Test
    void payloadJsonAndClaimsAnswerAsNimbus() throws Exception {
        for (String payload : new String[] {"{\"sub\":\"a\",\"n\":1}", "[1]", "not json", "{\"x\":\"\u00e9\u2603\"}", "{\"exp\":\"soon\"}"}) {
            String compact = "eyJhbGciOiJFUzI1NiJ9." + Base64URL.encode(payload.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
            SignedJWT jwt = SignedJWT.parse(compact);
            assertEquals(jwt.getPayload().toJSONObject(), Signatures.payloadJson(jwt), payload);
            Object expected;
            try {
                expected = jwt.getJWTClaimsSet().toJSONObject();
            } catch (ParseException e) {
                expected = "ParseException";
            }
            Object actual;
            try {
                actual = Signatures.claims(SignedJWT.parse(compact)).toJSONObject();
            } catch (ParseException e) {
                actual = "ParseException";
            }
            assertEquals(expected, actual, payload);
        }
        // A payload segment the JDK refuses (whitespace inside) still decodes as Nimbus decodes it.
        SignedJWT spaced = SignedJWT.parse("eyJhbGciOiJFUzI1NiJ9.eyJzdWIi OiJhIn0.c2ln");
        assertEquals(spaced.getPayload().toJSONObject(), Signatures.payloadJson(spaced));
    }

    @Test
    void edges() {
        assertTrue(Signatures.compact("a..b"));
        assertTrue(Signatures.compact("eyJ.eyJ.sig"));
        assertFalse(Signatures.compact(""));
        assertFalse(Signatures.compact(".a.b"));
        assertFalse(Signatures.compact("a.b."));
        assertFalse(Signatures.compact("a.b.c.d"));
        assertFalse(Signatures.compact("a.b"));
        assertFalse(Signatures.compact("a.b.c="));
        assertFalse(Signatures.compact(" a.b.c"));
    }
}
