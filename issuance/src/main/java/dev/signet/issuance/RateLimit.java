package dev.signet.issuance;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

/**
 * A minter's quota as a token bucket: {@code rate} tokens a second refill it, up to {@code burst}; each minted
 * token takes one. Per replica: N replicas admit up to N x rate between them.
 */
public record RateLimit(double rate, double burst) {

    /** @throws SignetException INVALID_ARGUMENT unless rate is positive and burst at least 1 (both finite) */
    public RateLimit {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new SignetException(Code.INVALID_ARGUMENT, "rate must be a positive number of tokens per second, not "
                    + rate);
        }
        if (!(burst >= 1) || Double.isInfinite(burst)) {
            throw new SignetException(Code.INVALID_ARGUMENT, "burst must be a number of at least 1, not " + burst);
        }
    }
}
