package dev.signet.software.openssl;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * An EVP_PKEY and its pooled digest contexts: everything a {@link Cleaner} frees once the object that owns them is
 * unreachable. It must not refer back to its owner. Signing keys ({@link OpenSslKey}) and the verifier's cached
 * public keys ({@link OpenSslP256Verifier}) share it and its cleaner thread.
 */
record NativeKey(MemorySegment pkey, ConcurrentLinkedQueue<MemorySegment> contexts) implements Runnable {

    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "signet-openssl-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** Takes ownership of {@code pkey}, freed with its contexts once {@code owner} is unreachable. */
    static NativeKey ownedBy(Object owner, MemorySegment pkey) {
        NativeKey key = new NativeKey(pkey, new ConcurrentLinkedQueue<>());
        CLEANER.register(owner, key);
        return key;
    }

    @Override
    public void run() {
        for (MemorySegment ctx; (ctx = contexts.poll()) != null; ) {
            LibCrypto.freeDigestContext(ctx);
        }
        LibCrypto.freeKey(pkey);
    }
}
