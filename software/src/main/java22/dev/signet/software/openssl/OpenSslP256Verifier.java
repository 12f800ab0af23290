package dev.signet.software.openssl;

import dev.signet.software.P256Verifier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * ES256 verification with EVP_DigestVerify. Each public key becomes an EVP_PKEY once and is cached (bounded: the
 * cache is emptied when full, a miss only costs a parse); its verification contexts are pooled as the signer's are,
 * and both are freed (a {@link NativeKey}) once the key leaves the cache and no verification uses it.
 */
final class OpenSslP256Verifier implements P256Verifier {

    /** Subkeys, parents' holder keys and sub-agents' keys: far fewer than this in any one window. */
    static final int MAX_CACHED_KEYS = 4096;
    private static final int COORDINATE = 32;
    /** The SubjectPublicKeyInfo DER of a P-256 key up to its uncompressed point's coordinates. */
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex(
            "3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04");
    private static final MemorySegment SHA256 = LibCrypto.sha256();

    private final String description;
    private final ConcurrentHashMap<ByteBuffer, PublicKey> keys = new ConcurrentHashMap<>();

    OpenSslP256Verifier(String library) {
        this.description = "ES256 verification: " + library;
    }

    @Override
    public String description() {
        return description;
    }

    /** One cached EVP_PKEY; its native state is freed when this is unreachable. */
    private static final class PublicKey {
        final NativeKey state;

        PublicKey(MemorySegment pkey) {
            this.state = NativeKey.ownedBy(this, pkey);
        }
    }

    @Override
    public boolean verify(byte[] x, byte[] y, byte[] data, byte[] signature) {
        PublicKey key = key(x, y);
        if (signature.length != 2 * COORDINATE) {
            return false;
        }
        byte[] der = toDer(signature);
        MemorySegment ctx = key.state.contexts().poll();
        if (ctx == null) {
            ctx = LibCrypto.newDigestContext();
        }
        boolean reusable = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment input = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, input, JAVA_BYTE, 0, data.length);
            MemorySegment sig = arena.allocate(der.length);
            MemorySegment.copy(der, 0, sig, JAVA_BYTE, 0, der.length);
            boolean valid = LibCrypto.digestVerify(ctx, SHA256, key.state.pkey(), sig, der.length, input, data.length);
            reusable = true;
            return valid;
        } finally {
            if (reusable) {
                key.state.contexts().offer(ctx);
            } else {
                LibCrypto.freeDigestContext(ctx);
            }
            Reference.reachabilityFence(key);
        }
    }

    private PublicKey key(byte[] x, byte[] y) {
        if (x.length != COORDINATE || y.length != COORDINATE) {
            throw new IllegalArgumentException("a P-256 public key has 32-byte coordinates, not " + x.length + " and " + y.length);
        }
        byte[] point = new byte[2 * COORDINATE];
        System.arraycopy(x, 0, point, 0, COORDINATE);
        System.arraycopy(y, 0, point, COORDINATE, COORDINATE);
        ByteBuffer id = ByteBuffer.wrap(point);
        PublicKey key = keys.get(id);
        if (key != null) {
            return key;
        }
        byte[] spki = new byte[SPKI_PREFIX.length + point.length];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
        System.arraycopy(point, 0, spki, SPKI_PREFIX.length, point.length);
        MemorySegment pkey = LibCrypto.publicKeyFromSpki(spki);
        if (pkey.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("not a point on P-256");
        }
        key = new PublicKey(pkey);
        if (keys.size() >= MAX_CACHED_KEYS) {
            keys.clear();
        }
        PublicKey raced = keys.putIfAbsent(id, key);
        return raced == null ? key : raced;
    }

    /** R || S as a DER SEQUENCE of two minimal INTEGERs: one spelling, so OpenSSL's parse never decides. */
    static byte[] toDer(byte[] rs) {
        byte[] r = integer(rs, 0);
        byte[] s = integer(rs, COORDINATE);
        byte[] der = new byte[2 + r.length + s.length];
        der[0] = 0x30;
        der[1] = (byte) (r.length + s.length);
        System.arraycopy(r, 0, der, 2, r.length);
        System.arraycopy(s, 0, der, 2 + r.length, s.length);
        return der;
    }

    private static byte[] integer(byte[] rs, int from) {
        int start = from;
        int end = from + COORDINATE;
        while (start < end - 1 && rs[start] == 0) {
            start++;
        }
        int pad = (rs[start] & 0x80) != 0 ? 1 : 0;
        int length = end - start + pad;
        byte[] out = new byte[2 + length];
        out[0] = 0x02;
        out[1] = (byte) length;
        System.arraycopy(rs, start, out, 2 + pad, end - start);
        return out;
    }

    @Override
    public String toString() {
        return description;
    }
}
