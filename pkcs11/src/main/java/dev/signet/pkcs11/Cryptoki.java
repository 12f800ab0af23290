package dev.signet.pkcs11;

import dev.signet.spi.SignetException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The PKCS#11 library as the JDK loaded it, for the two things SunPKCS11 does not offer: finding a slot by
 * token label, and re-initialising the library after a device fault. It reaches the JDK's internal
 * {@code sun.security.pkcs11.wrapper} (the same native instance SunPKCS11 uses, cached per library path), so the
 * JVM must run with {@value #JVM_FLAG}.
 *
 * <p>A library is initialised once per process and shared by every provider over it. Re-initialising it
 * invalidates every session and object handle, and handles are reused afterwards, so it happens under
 * {@link #lock()}'s write lock and bumps {@link #generation()}: token operations hold the read lock and refuse
 * to run with handles from an older generation.
 */
final class Cryptoki {

    static final String JVM_FLAG = "--add-opens jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";

    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
    /** CKF_OS_LOCKING_OK, as SunPKCS11 passes it, so the library is multi-threaded. */
    private static final long CKF_OS_LOCKING_OK = 0x2L;
    /** CKR_CRYPTOKI_NOT_INITIALIZED and CKR_CRYPTOKI_ALREADY_INITIALIZED. */
    private static final long NOT_INITIALIZED = 0x190L;
    private static final long ALREADY_INITIALIZED = 0x191L;
    private static final Map<String, Cryptoki> LIBRARIES = new ConcurrentHashMap<>();

    private final String library;
    private final Object p11;
    private final Object initArgs;
    private final Method getSlotList;
    private final Method getTokenInfo;
    private final Method finalizeLibrary;
    private final Method initializeLibrary;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile long generation;

    private Cryptoki(String library) throws Exception {
        this.library = library;
        Class<?> pkcs11 = Class.forName(WRAPPER + "PKCS11");
        Class<?> initArgsClass = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
        initArgs = initArgsClass.getConstructor().newInstance();
        initArgsClass.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
        Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsClass, boolean.class);
        getInstance.setAccessible(true);
        getSlotList = accessible(pkcs11.getMethod("C_GetSlotList", boolean.class));
        getTokenInfo = accessible(pkcs11.getMethod("C_GetTokenInfo", long.class));
        finalizeLibrary = accessible(pkcs11.getMethod("C_Finalize", Object.class));
        initializeLibrary = accessible(pkcs11.getDeclaredMethod("C_Initialize", Object.class));
        p11 = invoke(getInstance, null, library, null, initArgs, false);
    }

    /**
     * The shared handle on a PKCS#11 library, loading and initialising it on first use.
     *
     * @throws SignetException INVALID_ARGUMENT if the library cannot be loaded or the JVM lacks {@value #JVM_FLAG}
     */
    static Cryptoki forLibrary(String library) {
        return LIBRARIES.computeIfAbsent(library, path -> {
            try {
                return new Cryptoki(path);
            } catch (Exception e) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "cannot use PKCS#11 library "
                        + path + " (" + TokenFaults.describe(e) + "); the JVM must run with " + JVM_FLAG, e);
            }
        });
    }

    String library() {
        return library;
    }

    ReentrantReadWriteLock lock() {
        return lock;
    }

    /** Bumped by every {@link #reinitialize()}; handles from an older generation are invalid. */
    long generation() {
        return generation;
    }

    /** Every initialised token in the library's slots. */
    List<TokenClient.Token> tokens() throws Exception {
        List<TokenClient.Token> tokens = new ArrayList<>();
        // SunPKCS11's slotListIndex counts every slot, with or without a token.
        List<Long> allSlots = java.util.Arrays.stream((long[]) invoke(getSlotList, p11, false)).boxed().toList();
        for (long slot : (long[]) invoke(getSlotList, p11, true)) {
            Object info = invoke(getTokenInfo, p11, slot);
            String label = new String((char[]) info.getClass().getField("label").get(info)).strip();
            long maxRw = info.getClass().getField("ulMaxRwSessionCount").getLong(info);
            tokens.add(new TokenClient.Token(slot, allSlots.indexOf(slot), label, maxRw));
        }
        return tokens;
    }

    /**
     * C_Finalize then C_Initialize, so the library re-reads its devices (a re-inserted or re-initialised token).
     * The caller holds the write lock and has already released every session of the providers it discards.
     */
    void reinitialize() throws Exception {
        if (!lock.isWriteLockedByCurrentThread()) {
            throw new IllegalStateException("reinitialize needs the write lock");
        }
        generation++;
        try {
            invoke(finalizeLibrary, p11, (Object) null);
        } catch (Exception e) {
            if (errorCode(e) != NOT_INITIALIZED) {
                throw e;
            }
        }
        try {
            invoke(initializeLibrary, p11, initArgs);
        } catch (Exception e) {
            if (errorCode(e) != ALREADY_INITIALIZED) {
                throw e;
            }
        }
    }

    private static long errorCode(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().equals(WRAPPER + "PKCS11Exception")) {
                try {
                    return (long) c.getClass().getMethod("getErrorCode").invoke(c);
                } catch (ReflectiveOperationException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static Method accessible(Method m) {
        m.setAccessible(true);
        return m;
    }

    private static Object invoke(Method m, Object target, Object... args) throws Exception {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
