package dev.signet.software.openssl;

import dev.signet.spi.AbstractSigningKey;
import dev.signet.spi.EcdsaSignatures;
import dev.signet.spi.SigningAlgorithm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.security.PublicKey;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A key held by libcrypto as an EVP_PKEY. Signing contexts (EVP_MD_CTX) are pooled rather than kept per thread
 * (request threads are virtual and short-lived) and re-initialised for each signature. The native key and its
 * contexts are freed (a {@link NativeKey}) once this object is unreachable; EVP_PKEY_free clears the key material.
 */
final class OpenSslKey extends AbstractSigningKey {

    /** A DER ECDSA P-256 signature is at most 72 bytes; Ed25519 signatures are 64. */
    private static final int MAX_SIGNATURE = 72;
    private static final int P256_COORDINATE = 32;
    private static final MemorySegment SHA256 = LibCrypto.sha256();

    private final NativeKey state;

    /** Takes ownership of {@code pkey}. */
    OpenSslKey(String id, SigningAlgorithm algorithm, PublicKey publicKey, MemorySegment pkey) {
        super(id, algorithm, publicKey);
        this.state = NativeKey.ownedBy(this, pkey);
    }

    /** The EVP_PKEY, valid while this key is reachable. */
    MemorySegment pkey() {
        return state.pkey();
    }

    @Override
    public byte[] sign(byte[] signingInput) {
        MemorySegment ctx = state.contexts().poll();
        if (ctx == null) {
            ctx = LibCrypto.newDigestContext();
        }
        boolean reusable = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment input = arena.allocate(Math.max(1, signingInput.length));
            MemorySegment.copy(signingInput, 0, input, JAVA_BYTE, 0, signingInput.length);
            MemorySegment signature = arena.allocate(MAX_SIGNATURE);
            MemorySegment length = arena.allocate(JAVA_LONG);
            int n = LibCrypto.digestSign(ctx, algorithm() == SigningAlgorithm.ES256 ? SHA256 : MemorySegment.NULL,
                    state.pkey(), signature, length, input, signingInput.length);
            byte[] out = signature.asSlice(0, n).toArray(JAVA_BYTE);
            reusable = true;
            return algorithm() == SigningAlgorithm.ES256 ? EcdsaSignatures.derToConcat(out, P256_COORDINATE) : out;
        } finally {
            if (reusable) {
                state.contexts().offer(ctx);
            } else {
                // A context that failed mid-operation is not worth trusting again.
                LibCrypto.freeDigestContext(ctx);
            }
            Reference.reachabilityFence(this);
        }
    }
}
