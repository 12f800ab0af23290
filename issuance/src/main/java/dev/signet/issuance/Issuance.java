package dev.signet.issuance;

import dev.signet.rotation.KeyRing;
import dev.signet.spi.SignetException;

import java.time.Clock;
import java.util.Map;

/**
 * The walk of one token: a request body's fields are parsed, the minter's policy decides, the key ring gives the
 * signing slot, and the token is signed with its {@code exp} clamped to the slot's publication. Every rule about
 * what a token may say lives in this package; the HTTP layer only authenticates and serialises.
 */
public final class Issuance {

    private final KeyRing keyRing;
    private final TokenIssuer issuer;

    public Issuance(String issuer, KeyRing keyRing, Clock clock) {
        this.keyRing = keyRing;
        this.issuer = new TokenIssuer(issuer, clock);
    }

    /**
     * @param fields one request body, as parsed JSON
     * @throws SignetException INVALID_ARGUMENT for a malformed request, PERMISSION_DENIED outside the minter's
     *                         policy, UNAVAILABLE when no key may sign now
     */
    public MintedToken mint(Minter minter, Map<String, Object> fields) {
        TokenRequest request = TokenRequests.parse(fields);
        minter.policy().check(request);
        KeyRing.SigningSlot slot = keyRing.signingSlot();
        return issuer.issue(slot.key(), minter.name(), request, slot.publishedUntil());
    }

    public String issuer() {
        return issuer.issuer();
    }
}
