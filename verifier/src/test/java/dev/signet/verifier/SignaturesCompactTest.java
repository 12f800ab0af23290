package dev.signet.verifier;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Signatures#compact}'s one pass answers as the regex it replaced, on every string. */
class SignaturesCompactTest {

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
