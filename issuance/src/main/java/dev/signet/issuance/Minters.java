package dev.signet.issuance;

import dev.signet.spi.SignetException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The configured minters, looked up by credential. */
public final class Minters {

    private final List<Minter> minters;

    /** @throws SignetException INVALID_ARGUMENT on duplicate names or credentials */
    public Minters(List<Minter> minters) {
        Set<String> names = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (Minter m : minters) {
            if (!names.add(m.name())) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "two minters are named " + m.name());
            }
            if (!hashes.add(m.credential().text())) {
                throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                        "minter " + m.name() + " shares its credential with another minter");
            }
        }
        this.minters = List.copyOf(minters);
    }

    /**
     * Finds the minter whose credential this is. Every minter is compared, in constant time each,
     * so timing tells nothing about which or how many credentials exist.
     *
     * @throws SignetException UNAUTHENTICATED if none matches
     */
    public Minter authenticate(String presented) {
        if (presented == null || presented.isEmpty()) {
            throw new SignetException(SignetException.Code.UNAUTHENTICATED, "a minter credential is required");
        }
        byte[] digest = CredentialHash.sha256(presented);
        Minter found = null;
        for (Minter m : minters) {
            if (m.credential().matchesDigest(digest)) {
                found = m;
            }
        }
        if (found == null) {
            throw new SignetException(SignetException.Code.UNAUTHENTICATED, "the minter credential is not valid");
        }
        return found;
    }

    public List<Minter> all() {
        return minters;
    }
}
