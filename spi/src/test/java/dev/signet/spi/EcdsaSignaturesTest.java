package dev.signet.spi;

import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EcdsaSignaturesTest {

    private static final HexFormat HEX = HexFormat.of();

    /** DER SEQUENCE of two INTEGERs given as minimal two's-complement bytes. */
    private static byte[] der(byte[] r, byte[] s) {
        byte[] out = new byte[2 + 2 + r.length + 2 + s.length];
        out[0] = 0x30;
        out[1] = (byte) (out.length - 2);
        out[2] = 0x02;
        out[3] = (byte) r.length;
        System.arraycopy(r, 0, out, 4, r.length);
        out[4 + r.length] = 0x02;
        out[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, out, 6 + r.length, s.length);
        return out;
    }

    private static byte[] repeat(int b, int n) {
        byte[] a = new byte[n];
        Arrays.fill(a, (byte) b);
        return a;
    }

    @Test
    void plain32ByteIntegersAreCopied() {
        byte[] r = repeat(0x11, 32);
        byte[] s = repeat(0x22, 32);
        byte[] out = EcdsaSignatures.derToConcat(der(r, s), 32);
        assertArrayEquals(r, Arrays.copyOfRange(out, 0, 32));
        assertArrayEquals(s, Arrays.copyOfRange(out, 32, 64));
    }

    @Test
    void a33ByteIntegerLosesItsSignByte() {
        byte[] r = new byte[33];
        r[0] = 0;
        Arrays.fill(r, 1, 33, (byte) 0xff);
        byte[] out = EcdsaSignatures.derToConcat(der(r, repeat(0x01, 32)), 32);
        assertArrayEquals(repeat(0xff, 32), Arrays.copyOfRange(out, 0, 32));
        assertEquals(64, out.length);
    }

    @Test
    void shortIntegersAreLeftPaddedWithZeros() {
        byte[] out = EcdsaSignatures.derToConcat(der(new byte[]{0x05}, repeat(0x7f, 30)), 32);
        byte[] expectedR = new byte[32];
        expectedR[31] = 5;
        assertArrayEquals(expectedR, Arrays.copyOfRange(out, 0, 32));
        assertEquals(0, out[32]);
        assertEquals(0, out[33]);
        assertEquals(0x7f, out[34]);
    }

    @Test
    void longFormLengthIsAccepted() {
        // P-521-sized signatures need the 0x81 long form; P-256 never does, but a valid encoding is valid.
        byte[] r = new byte[66];
        r[0] = 0x01;
        byte[] s = new byte[66];
        s[0] = 0x01;
        byte[] body = new byte[2 + 66 + 2 + 66];
        body[0] = 0x02;
        body[1] = 66;
        System.arraycopy(r, 0, body, 2, 66);
        body[68] = 0x02;
        body[69] = 66;
        System.arraycopy(s, 0, body, 70, 66);
        byte[] der = new byte[3 + body.length];
        der[0] = 0x30;
        der[1] = (byte) 0x81;
        der[2] = (byte) body.length;
        System.arraycopy(body, 0, der, 3, body.length);
        assertEquals(132, EcdsaSignatures.derToConcat(der, 66).length);
    }

    @Test
    void malformedSignaturesAreRefused() {
        byte[] good = der(repeat(0x11, 32), repeat(0x22, 32));
        byte[][] bad = {
                new byte[0],
                Arrays.copyOf(good, good.length - 1),                       // truncated
                concat(good, new byte[]{0}),                                // trailing byte
                withByte(good, 0, 0x31),                                    // not a SEQUENCE
                withByte(good, 2, 0x03),                                    // not an INTEGER
                der(repeat(0x11, 33), repeat(0x22, 32)),                    // 33 bytes, no sign byte: too wide
                der(concat(new byte[]{0, 0}, repeat(0x11, 31)), repeat(0x22, 32)), // non-minimal
                der(repeat(0x81, 32), repeat(0x22, 32)),                    // negative
                der(new byte[0], repeat(0x22, 32)),                         // empty integer
        };
        for (byte[] b : bad) {
            SignetException e = assertThrows(SignetException.class, () -> EcdsaSignatures.derToConcat(b, 32),
                    HEX.formatHex(b));
            assertEquals(SignetException.Code.INTERNAL, e.code());
        }
    }

    @Test
    void jdkDerSignaturesTranscodeToSignaturesTheP1363VerifierAccepts() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        Signature signer = Signature.getInstance("SHA256withECDSA");
        Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
        for (int i = 0; i < 300; i++) {
            byte[] msg = ("token " + i).getBytes();
            signer.initSign(pair.getPrivate());
            signer.update(msg);
            byte[] der = signer.sign();
            byte[] jose = EcdsaSignatures.derToConcat(der, 32);
            verifier.initVerify(pair.getPublic());
            verifier.update(msg);
            assertTrue(verifier.verify(jose), HEX.formatHex(der));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] withByte(byte[] a, int index, int value) {
        byte[] out = a.clone();
        out[index] = (byte) value;
        return out;
    }
}
