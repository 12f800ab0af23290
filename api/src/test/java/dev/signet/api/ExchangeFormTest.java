package dev.signet.api;

import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The exchange's form decoding answers as the JDK's URLDecoder on every string, the ones it skips included. */
class ExchangeFormTest {

    @Test
    void decodesAsUrlDecoder() {
        Random random = new Random(15);
        String alphabet = "aZ09-_.~%+2Bc3A=\u00e9 ";
        for (int i = 0; i < 100_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(8); n > 0; n--) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String s = b.toString();
            String expected;
            try {
                expected = URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                assertThrows(IllegalArgumentException.class, () -> TokenExchangeService.decode(s), s);
                continue;
            }
            assertEquals(expected, TokenExchangeService.decode(s), s);
        }
        String token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        assertEquals(token, TokenExchangeService.decode(token));
    }
}
