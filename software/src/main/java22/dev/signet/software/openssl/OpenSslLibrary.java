package dev.signet.software.openssl;

import dev.signet.spi.Jwks;
import dev.signet.software.NativeSigningLibrary;
import dev.signet.software.P256Verifier;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;

import java.lang.foreign.MemorySegment;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * ES256 and Ed25519 keys held and used by OpenSSL 3 libcrypto, called through the FFM API. Loaded reflectively by
 * {@code InMemorySigning}; the release-21 code never refers to this class.
 */
public final class OpenSslLibrary implements NativeSigningLibrary {

    private static final long OPENSSL_3 = 0x30000000L;
    private static final int P256_BITS = 256;

    private final String description;
    private final OpenSslP256Verifier verifier;

    private OpenSslLibrary(String description) {
        this.description = description;
        this.verifier = new OpenSslP256Verifier(description);
    }

    /**
     * Opens libcrypto.
     *
     * @throws IllegalStateException if libcrypto 3 cannot be found or lacks a function Signet calls
     */
    public static NativeSigningLibrary open() {
        try {
            if (LibCrypto.versionNumber() < OPENSSL_3) {
                throw new IllegalStateException(LibCrypto.LIBRARY + " is " + LibCrypto.version() + "; OpenSSL 3 is required");
            }
            return new OpenSslLibrary(LibCrypto.version() + " " + LibCrypto.LIBRARY + " via FFM");
        } catch (ExceptionInInitializerError e) {
            Throwable why = e.getCause() == null ? e : e.getCause();
            String hint = why instanceof IllegalCallerException ? " (start the JVM with --enable-native-access=ALL-UNNAMED)" : "";
            throw new IllegalStateException(why.getMessage() + hint, why);
        }
    }

    @Override
    public String description() {
        return description;
    }

    /**
     * Binds the calls, then makes, exports, reloads and signs with a throwaway ES256 key: a call's first use links
     * and spins classes of its own, as does the JDK's first reading of an EC key, and a daemon's first key (made or
     * loaded) would otherwise do all of that on its main thread.
     */
    @Override
    public void prepareKeys() {
        LibCrypto.bindKeys();
        Generated throwaway = generateStorable(SigningAlgorithm.ES256);
        byte[] probe = {0};
        throwaway.key().sign(probe);
        load(throwaway.key().id(), SigningAlgorithm.ES256, throwaway.pair().getPublic(), throwaway.pair().getPrivate())
                .sign(probe);
    }

    @Override
    public P256Verifier p256Verifier() {
        return verifier;
    }

    @Override
    public Set<SigningAlgorithm> algorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.EdDSA);
    }

    @Override
    public SigningKey generate(SigningAlgorithm algorithm) {
        MemorySegment pkey = switch (algorithm) {
            case ES256 -> LibCrypto.generate("EC", "P-256");
            case EdDSA -> LibCrypto.generate("ED25519", null);
            default -> throw unsupported(algorithm);
        };
        try {
            PublicKey publicKey = toJava(algorithm, LibCrypto.publicKeyDer(pkey));
            return new OpenSslKey(Jwks.thumbprint(publicKey, algorithm), algorithm, publicKey, pkey);
        } catch (RuntimeException e) {
            LibCrypto.freeKey(pkey);
            throw e;
        }
    }

    @Override
    public Generated generateStorable(SigningAlgorithm algorithm) {
        SigningKey key = generate(algorithm);
        byte[] pkcs8 = LibCrypto.privateKeyPkcs8(((OpenSslKey) key).pkey());
        try {
            PrivateKey privateKey = KeyFactory.getInstance(algorithm == SigningAlgorithm.ES256 ? "EC" : "Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            return new Generated(key, new KeyPair(key.publicKey(), privateKey));
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "the JDK cannot read OpenSSL's " + algorithm + " private key", e);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    @Override
    public SigningKey load(String id, SigningAlgorithm algorithm, PublicKey publicKey, PrivateKey privateKey) {
        if (!algorithms().contains(algorithm)) {
            throw unsupported(algorithm);
        }
        if (algorithm == SigningAlgorithm.ES256 && !(publicKey instanceof ECPublicKey ec
                && ec.getParams().getCurve().getField().getFieldSize() == P256_BITS)) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "key " + id + " is not a P-256 key");
        }
        byte[] pkcs8 = privateKey.getEncoded();
        if (pkcs8 == null || !"PKCS#8".equals(privateKey.getFormat())) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "key " + id + " has no PKCS#8 encoding to hand to OpenSSL");
        }
        try {
            return new OpenSslKey(id, algorithm, publicKey, LibCrypto.privateKeyFromPkcs8(pkcs8));
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    private static PublicKey toJava(SigningAlgorithm algorithm, byte[] spki) {
        try {
            return KeyFactory.getInstance(algorithm == SigningAlgorithm.ES256 ? "EC" : "Ed25519")
                    .generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new SignetException(SignetException.Code.INTERNAL,
                    "the JDK cannot read OpenSSL's " + algorithm + " public key", e);
        }
    }

    private static IllegalArgumentException unsupported(SigningAlgorithm algorithm) {
        return new IllegalArgumentException("the OpenSSL in-memory signer does not sign " + algorithm);
    }

    @Override
    public String toString() {
        return description;
    }
}
