package dev.signet.software.openssl;

import dev.signet.spi.SignetException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few OpenSSL 3 libcrypto functions Signet calls, bound through FFM (LP64: {@code long} and {@code size_t} are
 * 64-bit). Loading this class opens the library; if it cannot, class initialisation fails and
 * {@link OpenSslLibrary#open} reports why.
 */
@SuppressWarnings("restricted")
final class LibCrypto {

    /** Tried in order: the OpenSSL 3 soname, then the development symlink. */
    static final String[] NAMES = {"libcrypto.so.3", "libcrypto.so"};

    static final String LIBRARY;
    private static final SymbolLookup LOOKUP;
    private static final Linker LINKER = Linker.nativeLinker();
    /** OPENSSL_free is a macro for CRYPTO_free(ptr, OPENSSL_FILE, OPENSSL_LINE); this stands in for the file. */
    private static final MemorySegment FILE = Arena.global().allocateFrom("signet-openssl");

    static {
        SymbolLookup found = null;
        String name = null;
        IllegalArgumentException failure = null;
        for (String n : NAMES) {
            try {
                found = SymbolLookup.libraryLookup(n, Arena.global());
                name = n;
                break;
            } catch (IllegalArgumentException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (found == null) {
            throw new IllegalStateException(String.join(" / ", NAMES) + " not found: " + failure.getMessage(), failure);
        }
        LOOKUP = found;
        LIBRARY = name;
    }

    /** Every function Signet calls: their presence is checked when the library is opened, each bound at first use. */
    private static final String[] FUNCTIONS = {"OpenSSL_version_num", "OpenSSL_version", "CRYPTO_free", "ERR_get_error",
        "ERR_error_string_n", "ERR_clear_error", "EVP_PKEY_CTX_new_from_name", "EVP_PKEY_keygen_init",
        "EVP_PKEY_CTX_set_group_name", "EVP_PKEY_generate", "EVP_PKEY_CTX_free", "EVP_PKEY_free", "i2d_PUBKEY",
        "d2i_AutoPrivateKey", "EVP_sha256", "EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_DigestSignInit", "EVP_DigestSign",
        "d2i_PUBKEY", "EVP_DigestVerifyInit", "EVP_DigestVerify", "EVP_PKEY2PKCS8", "i2d_PKCS8_PRIV_KEY_INFO",
        "PKCS8_PRIV_KEY_INFO_free", "CRYPTO_clear_free"};

    static {
        for (String function : FUNCTIONS) {
            if (LOOKUP.find(function).isEmpty()) {
                throw new IllegalStateException(LIBRARY + " has no " + function + " (OpenSSL 3 is required)");
            }
        }
    }

    private static final MethodHandle OPENSSL_VERSION_NUM = bind("OpenSSL_version_num", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle OPENSSL_VERSION = bind("OpenSSL_version", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    // Binding a function generates code for its call; a daemon's start needs a few of them, so each group is bound
    // when first used (the holder classes below), not when the library is opened.

    /** Key generation and the public key's export. */
    private static final class Keygen {
        static final MethodHandle EVP_PKEY_CTX_NEW_FROM_NAME = bind("EVP_PKEY_CTX_new_from_name",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle EVP_PKEY_KEYGEN_INIT = bind("EVP_PKEY_keygen_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle EVP_PKEY_CTX_SET_GROUP_NAME = bind("EVP_PKEY_CTX_set_group_name",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle EVP_PKEY_GENERATE = bind("EVP_PKEY_generate", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle EVP_PKEY_CTX_FREE = bind("EVP_PKEY_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle I2D_PUBKEY = bind("i2d_PUBKEY", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle CRYPTO_FREE = bind("CRYPTO_free", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT));
    }

    /** Binds what a software backend's first key calls: generation, export and signing. */
    static void bindKeys() {
        java.util.Objects.requireNonNull(Keygen.EVP_PKEY_GENERATE);
        java.util.Objects.requireNonNull(Export.EVP_PKEY2PKCS8);
        java.util.Objects.requireNonNull(Sign.EVP_DIGESTSIGN);
    }

    /** Reading a stored private key. */
    private static final class Load {
        static final MethodHandle D2I_AUTOPRIVATEKEY = bind("d2i_AutoPrivateKey",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }

    private static final class Free {
        static final MethodHandle EVP_PKEY_FREE = bind("EVP_PKEY_free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** Signing, and the digest contexts verification shares. */
    private static final class Sign {
        static final MethodHandle EVP_SHA256 = bind("EVP_sha256", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle EVP_MD_CTX_NEW = bind("EVP_MD_CTX_new", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle EVP_MD_CTX_FREE = bind("EVP_MD_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle EVP_DIGESTSIGNINIT = bind("EVP_DigestSignInit",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle EVP_DIGESTSIGN = bind("EVP_DigestSign",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }

    /** Verification (token exchange), which a daemon's start never does. */
    private static final class Verify {
        static final MethodHandle D2I_PUBKEY = bind("d2i_PUBKEY", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle EVP_DIGESTVERIFYINIT = bind("EVP_DigestVerifyInit",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle EVP_DIGESTVERIFY = bind("EVP_DigestVerify",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    }

    /** The error queue, read when a call failed (and cleared after a signature that does not verify). */
    private static final class Errors {
        static final MethodHandle ERR_GET_ERROR = bind("ERR_get_error", FunctionDescriptor.of(JAVA_LONG));
        static final MethodHandle ERR_ERROR_STRING_N = bind("ERR_error_string_n",
                FunctionDescriptor.ofVoid(JAVA_LONG, ADDRESS, JAVA_LONG));
        static final MethodHandle ERR_CLEAR_ERROR = bind("ERR_clear_error", FunctionDescriptor.ofVoid());
    }

    private LibCrypto() {
    }

    private static MethodHandle bind(String symbol, FunctionDescriptor descriptor) {
        MemorySegment address = LOOKUP.find(symbol).orElseThrow(
                () -> new IllegalStateException(LIBRARY + " has no " + symbol + " (OpenSSL 3 is required)"));
        return LINKER.downcallHandle(address, descriptor);
    }

    /** OPENSSL_VERSION_NUMBER of the loaded library, 0xMNN00PP0L. */
    static long versionNumber() {
        try {
            return (long) OPENSSL_VERSION_NUM.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** E.g. "OpenSSL 3.0.19 27 Jan 2026". */
    static String version() {
        try {
            MemorySegment text = (MemorySegment) OPENSSL_VERSION.invokeExact(0);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** A new EVP_PKEY of the named type ("EC", "ED25519"), on the named group for EC; the caller frees it. */
    static MemorySegment generate(String type, String group) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = (MemorySegment) Keygen.EVP_PKEY_CTX_NEW_FROM_NAME.invokeExact(MemorySegment.NULL,
                    arena.allocateFrom(type), MemorySegment.NULL);
            if (ctx.equals(MemorySegment.NULL)) {
                throw failure("EVP_PKEY_CTX_new_from_name(" + type + ")");
            }
            try {
                if ((int) Keygen.EVP_PKEY_KEYGEN_INIT.invokeExact(ctx) <= 0) {
                    throw failure("EVP_PKEY_keygen_init");
                }
                if (group != null && (int) Keygen.EVP_PKEY_CTX_SET_GROUP_NAME.invokeExact(ctx, arena.allocateFrom(group)) <= 0) {
                    throw failure("EVP_PKEY_CTX_set_group_name(" + group + ")");
                }
                MemorySegment out = arena.allocate(ADDRESS);
                if ((int) Keygen.EVP_PKEY_GENERATE.invokeExact(ctx, out) <= 0) {
                    throw failure("EVP_PKEY_generate(" + type + ")");
                }
                return out.get(ADDRESS, 0);
            } finally {
                Keygen.EVP_PKEY_CTX_FREE.invokeExact(ctx);
            }
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** An EVP_PKEY read from PKCS#8 DER; the native copy of the DER is zeroed before it is freed. */
    static MemorySegment privateKeyFromPkcs8(byte[] der) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(der.length);
            try {
                MemorySegment.copy(der, 0, in, JAVA_BYTE, 0, der.length);
                MemorySegment cursor = arena.allocate(ADDRESS);
                cursor.set(ADDRESS, 0, in);
                MemorySegment pkey = (MemorySegment) Load.D2I_AUTOPRIVATEKEY.invokeExact(MemorySegment.NULL, cursor,
                        (long) der.length);
                if (pkey.equals(MemorySegment.NULL)) {
                    throw failure("d2i_AutoPrivateKey");
                }
                return pkey;
            } finally {
                in.fill((byte) 0);
            }
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The X.509 SubjectPublicKeyInfo DER of a key. */
    static byte[] publicKeyDer(MemorySegment pkey) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int length = (int) Keygen.I2D_PUBKEY.invokeExact(pkey, out);
            if (length <= 0) {
                throw failure("i2d_PUBKEY");
            }
            MemorySegment der = out.get(ADDRESS, 0).reinterpret(length);
            try {
                return der.toArray(JAVA_BYTE);
            } finally {
                Keygen.CRYPTO_FREE.invokeExact(der, FILE, 0);
            }
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * An EVP_PKEY read from X.509 SubjectPublicKeyInfo DER (OpenSSL checks that an EC point is on its curve), or
     * NULL with the error queue cleared when the DER is not a public key it accepts.
     */
    static MemorySegment publicKeyFromSpki(byte[] der) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(der.length);
            MemorySegment.copy(der, 0, in, JAVA_BYTE, 0, der.length);
            MemorySegment cursor = arena.allocate(ADDRESS);
            cursor.set(ADDRESS, 0, in);
            MemorySegment pkey = (MemorySegment) Verify.D2I_PUBKEY.invokeExact(MemorySegment.NULL, cursor, (long) der.length);
            if (pkey.equals(MemorySegment.NULL)) {
                Errors.ERR_CLEAR_ERROR.invokeExact();
            }
            return pkey;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * One-shot EVP_DigestVerify after (re-)initialising {@code ctx} for {@code pkey}. A signature that does not
     * verify (or does not parse) leaves errors on this thread's queue; they are cleared here, so a later failure
     * reports its own.
     *
     * @return whether the signature is valid (EVP_DigestVerify returned 1)
     */
    static boolean digestVerify(MemorySegment ctx, MemorySegment md, MemorySegment pkey, MemorySegment signature,
                                long signatureLength, MemorySegment input, long inputLength) {
        try {
            if ((int) Verify.EVP_DIGESTVERIFYINIT.invokeExact(ctx, MemorySegment.NULL, md, MemorySegment.NULL, pkey) <= 0) {
                throw failure("EVP_DigestVerifyInit");
            }
            int result = (int) Verify.EVP_DIGESTVERIFY.invokeExact(ctx, signature, signatureLength, input, inputLength);
            if (result != 1) {
                Errors.ERR_CLEAR_ERROR.invokeExact();
            }
            return result == 1;
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Bound at first use: only the software backend, which stores its keys, exports them. */
    private static final class Export {
        static final MethodHandle EVP_PKEY2PKCS8 = bind("EVP_PKEY2PKCS8", FunctionDescriptor.of(ADDRESS, ADDRESS));
        static final MethodHandle I2D_PKCS8_PRIV_KEY_INFO = bind("i2d_PKCS8_PRIV_KEY_INFO",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle PKCS8_PRIV_KEY_INFO_FREE = bind("PKCS8_PRIV_KEY_INFO_free",
                FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle CRYPTO_CLEAR_FREE = bind("CRYPTO_clear_free",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT));
    }

    /** The PKCS#8 DER of a private key; OpenSSL's copies are cleared before they are freed. */
    static byte[] privateKeyPkcs8(MemorySegment pkey) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p8 = (MemorySegment) Export.EVP_PKEY2PKCS8.invokeExact(pkey);
            if (p8.equals(MemorySegment.NULL)) {
                throw failure("EVP_PKEY2PKCS8");
            }
            try {
                MemorySegment out = arena.allocate(ADDRESS);
                int length = (int) Export.I2D_PKCS8_PRIV_KEY_INFO.invokeExact(p8, out);
                if (length <= 0) {
                    throw failure("i2d_PKCS8_PRIV_KEY_INFO");
                }
                MemorySegment der = out.get(ADDRESS, 0).reinterpret(length);
                try {
                    return der.toArray(JAVA_BYTE);
                } finally {
                    Export.CRYPTO_CLEAR_FREE.invokeExact(der, (long) length, FILE, 0);
                }
            } finally {
                Export.PKCS8_PRIV_KEY_INFO_FREE.invokeExact(p8);
            }
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void freeKey(MemorySegment pkey) {
        try {
            Free.EVP_PKEY_FREE.invokeExact(pkey);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment sha256() {
        try {
            return (MemorySegment) Sign.EVP_SHA256.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment newDigestContext() {
        try {
            MemorySegment ctx = (MemorySegment) Sign.EVP_MD_CTX_NEW.invokeExact();
            if (ctx.equals(MemorySegment.NULL)) {
                throw failure("EVP_MD_CTX_new");
            }
            return ctx;
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void freeDigestContext(MemorySegment ctx) {
        try {
            Sign.EVP_MD_CTX_FREE.invokeExact(ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * One-shot EVP_DigestSign after (re-)initialising {@code ctx} for {@code pkey}.
     *
     * @param md        EVP_sha256() for ECDSA, NULL for Ed25519 (which hashes internally)
     * @param signature receives the signature; its size is the capacity offered to OpenSSL
     * @param length    one size_t, receives the signature's length
     * @return the signature length
     */
    static int digestSign(MemorySegment ctx, MemorySegment md, MemorySegment pkey, MemorySegment signature,
                          MemorySegment length, MemorySegment input, long inputLength) {
        try {
            if ((int) Sign.EVP_DIGESTSIGNINIT.invokeExact(ctx, MemorySegment.NULL, md, MemorySegment.NULL, pkey) <= 0) {
                throw failure("EVP_DigestSignInit");
            }
            length.set(JAVA_LONG, 0, signature.byteSize());
            if ((int) Sign.EVP_DIGESTSIGN.invokeExact(ctx, signature, length, input, inputLength) <= 0) {
                throw failure("EVP_DigestSign");
            }
            return (int) length.get(JAVA_LONG, 0);
        } catch (SignetException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * The oldest error on this thread's OpenSSL error queue, which is then cleared. OpenSSL's error strings name the
     * failing routine and reason, never key material.
     */
    static SignetException failure(String call) {
        try (Arena arena = Arena.ofConfined()) {
            long code = (long) Errors.ERR_GET_ERROR.invokeExact();
            String detail = "no error queued";
            if (code != 0) {
                MemorySegment text = arena.allocate(MemoryLayout.sequenceLayout(256, JAVA_BYTE));
                Errors.ERR_ERROR_STRING_N.invokeExact(code, text, text.byteSize());
                detail = text.getString(0);
            }
            Errors.ERR_CLEAR_ERROR.invokeExact();
            return new SignetException(SignetException.Code.INTERNAL, "OpenSSL " + call + " failed: " + detail);
        } catch (Throwable t) {
            return unexpected(t);
        }
    }

    private static SignetException unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return new SignetException(SignetException.Code.INTERNAL, "OpenSSL call failed: " + t, t);
    }
}
