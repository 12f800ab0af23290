package dev.signet.spi;

import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds the provider for a configured backend type. There is no default and no fallback. */
public final class KeyBackends {

    private KeyBackends() {
    }

    /** @throws SignetException INVALID_ARGUMENT if no provider on the class path has this type */
    public static KeyBackend open(String type, BackendSettings settings) {
        TreeSet<String> known = new TreeSet<>();
        for (KeyBackendProvider p : ServiceLoader.load(KeyBackendProvider.class)) {
            if (p.type().equals(type)) {
                return p.open(settings);
            }
            known.add(p.type());
        }
        throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                "unknown backend.type '" + type + "'; available: " + known);
    }
}
