package dev.signet.spi.testing;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;

/**
 * RSA 2048 key pairs for in-process fakes. Generating one costs seconds on a loaded machine, so a JVM makes each
 * only once: a fake hands out pairs 0, 1, 2… in order, so the keys it holds stay distinct.
 */
public final class RsaKeyPairs {

    private static final List<KeyPair> PAIRS = new ArrayList<>();

    private RsaKeyPairs() {
    }

    /** The {@code n}-th pair of this JVM, made on first use. */
    public static KeyPair get(int n) {
        synchronized (PAIRS) {
            while (PAIRS.size() <= n) {
                try {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    PAIRS.add(g.generateKeyPair());
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }
            return PAIRS.get(n);
        }
    }
}
