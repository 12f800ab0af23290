package dev.signet.spi;

/**
 * AWS KMS and OpenSSL return ECDSA signatures as a DER {@code SEQUENCE { INTEGER r, INTEGER s }}; JWS
 * (RFC 7518 §3.4) wants the fixed-width concatenation R‖S. This parser is strict: anything but exactly that
 * structure is refused, because a lenient one would turn a backend bug into tokens nobody can verify.
 */
public final class EcdsaSignatures {

    private static final int SEQUENCE = 0x30;
    private static final int INTEGER = 0x02;

    private EcdsaSignatures() {
    }

    /**
     * @param der   a DER-encoded ECDSA signature
     * @param width the byte length of one coordinate (32 for P-256)
     * @return R‖S, each left-padded with zeros to {@code width} bytes
     * @throws SignetException INTERNAL if {@code der} is not a well-formed signature of that width
     */
    public static byte[] derToConcat(byte[] der, int width) {
        int[] pos = {0};
        expect(der, pos, SEQUENCE);
        int seqLen = length(der, pos);
        if (pos[0] + seqLen != der.length) {
            throw malformed("sequence length does not match the signature length");
        }
        byte[] out = new byte[2 * width];
        integer(der, pos, out, 0, width);
        integer(der, pos, out, width, width);
        if (pos[0] != der.length) {
            throw malformed("trailing bytes after s");
        }
        return out;
    }

    private static void integer(byte[] der, int[] pos, byte[] out, int offset, int width) {
        expect(der, pos, INTEGER);
        int len = length(der, pos);
        if (len == 0 || pos[0] + len > der.length) {
            throw malformed("integer length out of range");
        }
        int start = pos[0];
        if ((der[start] & 0x80) != 0) {
            throw malformed("negative integer");
        }
        // DER adds one 0x00 only when the next byte's high bit is set; more is non-minimal encoding.
        if (der[start] == 0 && len > 1) {
            if ((der[start + 1] & 0x80) == 0) {
                throw malformed("non-minimal integer encoding");
            }
            start++;
            len--;
        }
        if (len > width) {
            throw malformed("integer wider than " + width + " bytes");
        }
        System.arraycopy(der, start, out, offset + width - len, len);
        pos[0] = start + len;
    }

    private static void expect(byte[] der, int[] pos, int tag) {
        if (pos[0] >= der.length || (der[pos[0]] & 0xff) != tag) {
            throw malformed("expected tag 0x" + Integer.toHexString(tag));
        }
        pos[0]++;
    }

    /** Short form, or the long form with one length byte (a P-256/P-384/P-521 signature never needs more). */
    private static int length(byte[] der, int[] pos) {
        if (pos[0] >= der.length) {
            throw malformed("truncated length");
        }
        int b = der[pos[0]++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        if (b == 0x81 && pos[0] < der.length) {
            int len = der[pos[0]++] & 0xff;
            if (len < 0x80) {
                throw malformed("non-minimal length encoding");
            }
            return len;
        }
        throw malformed("unsupported length encoding");
    }

    private static SignetException malformed(String why) {
        return new SignetException(SignetException.Code.INTERNAL, "the signer returned a malformed ECDSA signature: " + why);
    }
}
