package dev.signet.rotation;

import dev.signet.spi.SigningAlgorithm;

import java.time.Instant;
import java.util.Objects;

/**
 * One delegated subkey in its replica's {@link SubkeySet}: a master key's lifecycle (PREPARED → ACTIVE →
 * RETIRED, then dropped from the set once unpublished) with the certificate chain that lets every replica
 * publish it, and, when a wrapping key is configured, its private part wrapped by that key (which never leaves
 * the backend), so a restarted or new replica can sign with it after one unwrap call.
 *
 * @param masterKid         the master key that certified it; the subkey is never published without it
 * @param leafCertificate   base64 DER of the subkey's certificate, signed by the master
 * @param masterCertificate base64 DER of the master's self-signed certificate
 * @param wrappingKey       the backend key that wrapped {@code wrapped}, or null when not wrapped
 * @param wrapped           base64 of the wrapped PKCS#8 private part, or null: dropped when the subkey retires
 */
public record SubkeyRecord(String kid, SigningAlgorithm algorithm, KeyState state, String masterKid,
                           Instant prepared, Instant activates, Instant retires, Instant unpublishes,
                           String leafCertificate, String masterCertificate, String wrappingKey, String wrapped) {

    /**
     * @throws IllegalArgumentException for a state a subkey never has (REMOVED, DESTROYED, REVOKED: such a
     *                                  subkey leaves the set), times out of order, or half a wrapped private part
     */
    public SubkeyRecord {
        for (String s : new String[] {kid, masterKid, leafCertificate, masterCertificate}) {
            if (s == null || s.isBlank() || s.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("a subkey needs a kid, master kid and certificates without blanks");
            }
        }
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(state, "state");
        if (!state.published()) {
            throw new IllegalArgumentException("subkey " + kid + " is " + state + ": unpublished subkeys leave the set");
        }
        if (prepared.isAfter(activates) || activates.isAfter(retires) || retires.isAfter(unpublishes)) {
            throw new IllegalArgumentException("subkey " + kid + " times are out of order");
        }
        if ((wrappingKey == null) != (wrapped == null)) {
            throw new IllegalArgumentException("subkey " + kid + " has half a wrapped private part");
        }
        if (wrapped != null && state == KeyState.RETIRED) {
            throw new IllegalArgumentException("retired subkey " + kid + " keeps no private part");
        }
    }

    /** The state this record's times give at {@code now} (a replica that stopped ticking leaves them stale). */
    public KeyState stateAt(Instant now) {
        return now.isBefore(activates) ? KeyState.PREPARED : now.isBefore(retires) ? KeyState.ACTIVE : KeyState.RETIRED;
    }

    /** Moved on to what its times say at {@code now}; a retired subkey loses its wrapped private part. */
    SubkeyRecord at(Instant now) {
        KeyState s = stateAt(now);
        if (s == state) {
            return this;
        }
        return s == KeyState.RETIRED
                ? new SubkeyRecord(kid, algorithm, s, masterKid, prepared, activates, retires, unpublishes,
                leafCertificate, masterCertificate, null, null)
                : new SubkeyRecord(kid, algorithm, s, masterKid, prepared, activates, retires, unpublishes,
                leafCertificate, masterCertificate, wrappingKey, wrapped);
    }

    /** Retired early, at {@code now} (its private part is gone); it stays published as long as before. */
    SubkeyRecord retiredAt(Instant now) {
        Instant at = now.isBefore(activates) ? activates : now.isAfter(retires) ? retires : now;
        return new SubkeyRecord(kid, algorithm, KeyState.RETIRED, masterKid, prepared, activates, at, unpublishes,
                leafCertificate, masterCertificate, null, null);
    }

    @Override
    public String toString() { // never the wrapped part: it is ciphertext, but it is no one's business
        return "SubkeyRecord[" + kid + " " + algorithm + " " + state + " master " + masterKid + " " + activates
                + ".." + retires + " published until " + unpublishes + (wrapped == null ? "" : " wrapped by " + wrappingKey) + "]";
    }
}
