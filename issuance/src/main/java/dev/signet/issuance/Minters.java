package dev.signet.issuance;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The configured minters, looked up by bearer credential, client certificate, or both. */
public final class Minters {

    private final List<Minter> minters;

    /** @throws SignetException INVALID_ARGUMENT on duplicate names or credentials */
    public Minters(List<Minter> minters) {
        Set<String> names = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (Minter m : minters) {
            if (!names.add(m.name())) {
                throw new SignetException(Code.INVALID_ARGUMENT, "two minters are named " + m.name());
            }
            if (m.credential() != null && !hashes.add(m.credential().text())) {
                throw new SignetException(Code.INVALID_ARGUMENT,
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
            throw new SignetException(Code.UNAUTHENTICATED, "a minter credential is required");
        }
        byte[] digest = CredentialHash.sha256(presented);
        Minter found = null;
        for (Minter m : minters) {
            if (m.credential() != null && m.credential().matchesDigest(digest)) {
                found = m;
            }
        }
        if (found == null) {
            throw new SignetException(Code.UNAUTHENTICATED, "the minter credential is not valid");
        }
        return found;
    }

    /**
     * Finds the minter by bearer credential and/or verified client certificate. A minter configured with both
     * needs both; one with a certificate only is found by the certificate alone.
     *
     * @param bearer the presented bearer credential, or null
     * @param peer   the verified client certificate's identity, or null when none was presented
     * @throws SignetException UNAUTHENTICATED if a credential is wrong or a required one is missing;
     *                         PERMISSION_DENIED if a verified certificate belongs to no minter
     */
    public Minter authenticate(String bearer, PeerIdentity peer) {
        if (bearer != null && !bearer.isEmpty()) {
            Minter m = authenticate(bearer);
            ClientCertificate required = m.clientCertificate();
            if (required != null && peer == null) {
                throw new SignetException(Code.UNAUTHENTICATED, "this minter also needs its client certificate ("
                        + required + ")");
            }
            if (required != null && !required.matches(peer)) {
                throw new SignetException(Code.UNAUTHENTICATED, "the client certificate (" + peer.describe()
                        + ") is not this minter's (" + required + ")");
            }
            return m;
        }
        if (peer == null) {
            throw new SignetException(Code.UNAUTHENTICATED, "a minter credential or client certificate is required");
        }
        List<Minter> matching = minters.stream()
                .filter(m -> m.clientCertificate() != null && m.clientCertificate().matches(peer)).toList();
        if (matching.isEmpty()) {
            throw new SignetException(Code.PERMISSION_DENIED, "no minter is configured for the client certificate "
                    + peer.describe());
        }
        if (matching.size() > 1) {
            throw new SignetException(Code.UNAUTHENTICATED, "the client certificate " + peer.describe()
                    + " matches more than one minter (" + matching.stream().map(Minter::name).toList()
                    + "); make their client-certificate patterns disjoint");
        }
        Minter m = matching.getFirst();
        if (m.credential() != null) {
            throw new SignetException(Code.UNAUTHENTICATED, "minter " + m.name()
                    + " also needs its bearer credential");
        }
        return m;
    }

    public List<Minter> all() {
        return minters;
    }
}
