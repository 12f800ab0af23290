package dev.signet.pkcs11;

import dev.signet.spi.SignetException;
import dev.signet.spi.WrappingKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wrapping keys for delegated subkeys on a real SoftHSM2 token: an AES key that never leaves the token, found again
 * by another login (another replica), and what it wrapped is useless without the token.
 */
class Pkcs11WrappingKeyTest {

    private static SoftHsm.Token token;

    @BeforeAll
    static void token() throws Exception {
        SoftHsm.require();
        token = SoftHsm.initToken("wrap");
    }

    @Test
    void aWrappingKeyIsMadeOnceAndUnwrapsWhatAnotherLoginWrapped() throws Exception {
        byte[] secret = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();
        byte[] wrapped;
        try (Pkcs11KeyBackend a = SoftHsm.open(token, 0)) {
            var missing = assertThrows(SignetException.class, () -> a.wrappingKey("subkey-wrap", false));
            assertEquals(SignetException.Code.NOT_FOUND, missing.code());
            WrappingKey key = a.wrappingKey("subkey-wrap", true);
            assertEquals("subkey-wrap", key.id());
            wrapped = key.wrap(secret);
            assertFalse(Arrays.equals(secret, wrapped));
            assertThrows(Exception.class, () -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(wrapped)));
        }
        try (Pkcs11KeyBackend b = SoftHsm.open(token, 0)) {
            WrappingKey key = b.wrappingKey("subkey-wrap", false);
            assertArrayEquals(secret, key.unwrap(wrapped), "another replica's login unwraps it");
            byte[] altered = wrapped.clone();
            altered[altered.length - 1] ^= 1;
            var e = assertThrows(SignetException.class, () -> key.unwrap(altered));
            assertTrue(e.code() == SignetException.Code.INVALID_ARGUMENT || e.code() == SignetException.Code.INTERNAL, e.toString());
            WrappingKey other = b.wrappingKey("other-wrap", true);
            assertThrows(SignetException.class, () -> other.unwrap(wrapped), "another wrapping key cannot");
            assertTrue(b.list().isEmpty(), "wrapping keys are not signing keys");
        }
        String out = SoftHsm.run("pkcs11-tool", "--module", SoftHsm.library().orElseThrow().toString(),
                "--token-label", token.label(), "--login", "--pin", token.pin(), "--list-objects", "--type", "secrkey");
        List<String> access = out.lines().filter(l -> l.strip().startsWith("Access:")).toList();
        assertEquals(2, access.size(), out);
        for (String line : access) {
            assertTrue(line.contains("sensitive") && line.contains("never extractable"), out);
        }
    }

    /** Without the token (here: another token, as after losing the HSM), what the store kept cannot sign. */
    @Test
    void aWrappedSubkeyCannotBeUsedWithoutTheToken() throws Exception {
        byte[] secret = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();
        byte[] wrapped;
        try (Pkcs11KeyBackend a = SoftHsm.open(token, 0)) {
            wrapped = a.wrappingKey("lost-wrap", true).wrap(secret);
        }
        SoftHsm.Token elsewhere = SoftHsm.initToken("wrap-elsewhere");
        try (Pkcs11KeyBackend b = SoftHsm.open(elsewhere, 0)) {
            WrappingKey sameLabel = b.wrappingKey("lost-wrap", true);
            assertThrows(SignetException.class, () -> sameLabel.unwrap(wrapped), "a key of the same label elsewhere cannot");
        }
    }
}
