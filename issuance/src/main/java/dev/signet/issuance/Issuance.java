package dev.signet.issuance;

import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;
import dev.signet.revocation.StatusLists;
import dev.signet.rotation.KeyRing;
import dev.signet.spi.SignetException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The walk of one token: a request body's fields are parsed, the minter's policy decides, the key ring gives the
 * signing slot, the token is signed with its {@code exp} clamped to the slot's publication, and its audit record is
 * durable before the token is handed out. Every rule about what a token may say lives in this package; the HTTP
 * layer only authenticates and serialises.
 */
public final class Issuance {

    private final KeyRing keyRing;
    private final TokenIssuer issuer;
    private final AuditTrail audit;
    private final Clock clock;
    private final MinterQuotas quotas;
    private final StatusLists statusLists;

    /** With status lists kept in memory only (tests): indices start over at restart. */
    public Issuance(String issuer, KeyRing keyRing, Clock clock, AuditTrail audit) {
        this(issuer, keyRing, clock, audit, new StatusLists(issuer, "mem", null,
                StatusLists.Settings.defaults(java.time.Duration.ofDays(1)), clock, () -> keyRing.signingSlot().key()));
    }

    /** @param statusLists gives every token its {@code status} claim and holds the revocation rules */
    public Issuance(String issuer, KeyRing keyRing, Clock clock, AuditTrail audit, StatusLists statusLists) {
        this.keyRing = keyRing;
        this.clock = clock;
        this.quotas = new MinterQuotas(clock, audit);
        this.issuer = new TokenIssuer(issuer, clock);
        this.audit = audit;
        this.statusLists = statusLists;
    }

    /**
     * @param fields one request body, as parsed JSON
     * @throws SignetException INVALID_ARGUMENT for a malformed request, PERMISSION_DENIED outside the minter's
     *                         policy, UNAVAILABLE when no key may sign now or the audit trail cannot record,
     *                         RATE_LIMITED (with Retry-After) when the minter is over its rate limit
     */
    public MintedToken mint(Minter minter, Map<String, Object> fields) {
        return mint(minter, () -> fields);
    }

    /**
     * As {@link #mint(Minter, Map)}, with the minter's rate limit taken before {@code body} is called: a minter
     * over its rate is refused before its request body is read or parsed.
     */
    public MintedToken mint(Minter minter, Supplier<Map<String, Object>> body) {
        quotas.take(minter, 1);
        Signed signed = sign(minter, body.get());
        audit.append(signed.record()).await();
        return signed.token();
    }

    /**
     * Several requests of one minter; each result is a {@link MintedToken} or the {@link SignetException} that
     * refused it, in request order. The audit records of the whole batch are appended together and share one
     * wait for durability; if the trail cannot record them, every signed item is refused with its error.
     *
     * @throws SignetException for the whole batch: RATE_LIMITED (with Retry-After) when the minter's bucket
     *                         holds fewer tokens than the batch has requests, INVALID_ARGUMENT when the batch
     *                         is larger than the minter's burst
     */
    public List<Object> mintAll(Minter minter, List<?> items) {
        return mintAll(minter, () -> items);
    }

    /**
     * As {@link #mintAll(Minter, List)}; a minter whose bucket is empty is refused before {@code items} is
     * called (the body read and parsed), and the whole batch's tokens are taken after.
     */
    public List<Object> mintAll(Minter minter, Supplier<List<?>> body) {
        quotas.requireOne(minter);
        List<?> items = body.get();
        quotas.take(minter, items.size());
        List<Object> results = new ArrayList<>(items.size());
        for (Object item : items) {
            try {
                if (!(item instanceof Map<?, ?>)) {
                    throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "each batch request must be a JSON object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = (Map<String, Object>) item;
                results.add(sign(minter, fields));
            } catch (SignetException e) {
                refused(minter, e);
                results.add(e);
            }
        }
        List<AuditEvent> records = new ArrayList<>(results.size());
        for (Object r : results) {
            if (r instanceof Signed s) {
                records.add(s.record());
            }
        }
        SignetException unrecorded = null;
        if (!records.isEmpty()) {
            try {
                audit.appendAll(records).await();
            } catch (SignetException e) {
                unrecorded = e;
                for (int i = 0; i < records.size(); i++) {
                    refused(minter, e);
                }
            }
        }
        for (int i = 0; i < results.size(); i++) {
            if (results.get(i) instanceof Signed s) {
                results.set(i, unrecorded != null ? unrecorded : s.token());
            }
        }
        return results;
    }

    /**
     * Records a refusal of an authenticated minter's request (never the credential, never a token). Rate-limit
     * refusals are not: {@link MinterQuotas} counted them already, in aggregate.
     */
    public void refused(Minter minter, SignetException e) {
        if (e.code() == SignetException.Code.RATE_LIMITED) {
            return;
        }
        try {
            audit.append(AuditEvent.of("refusal").put("client_id", minter.name()).put("reason", e.code().name())
                    .put("detail", e.getMessage()).build());
        } catch (SignetException unavailable) {
            // the request is refused anyway; a failing trail is reported through readiness
        }
    }

    /** A signed token and its audit record, not yet appended: nobody gets the token before the record is durable. */
    private record Signed(MintedToken token, AuditEvent record) {
    }

    private Signed sign(Minter minter, Map<String, Object> fields) {
        TokenRequest request = TokenRequests.parse(fields);
        minter.policy().check(request);
        statusLists.checkMinting(minter.name(), request.subject(), request.task().orElse(null), null);
        KeyRing.SigningSlot slot = keyRing.signingSlot();
        MintedToken token = issuer.issue(slot.key(), minter.name(), request, slot.publishedUntil(), null, statusLists,
                Exchange.maxDepth(minter.policy()));
        List<Map<String, Object>> scope = new ArrayList<>(request.scope().size());
        for (ScopeItem item : request.scope()) {
            scope.add(Map.of("resource", item.resource(), "actions", item.actions()));
        }
        AuditEvent record = AuditEvent.of("token").put("jti", token.jti())
                .put("iat", token.issuedAt().getEpochSecond()).put("exp", token.expiresAt().getEpochSecond())
                .put("sub", request.subject()).put("aud", request.audience()).put("client_id", minter.name())
                .put("task", request.task().orElse(null)).put("scope", scope).put("kid", token.kid())
                .put("cnf_jkt", request.boundJkt().orElse(null))
                .put("status_list", token.status().list()).put("status_idx", token.status().idx()).build();
        return new Signed(token, record);
    }

    public String issuer() {
        return issuer.issuer();
    }

    public StatusLists statusLists() {
        return statusLists;
    }

    KeyRing keyRing() {
        return keyRing;
    }

    TokenIssuer tokenIssuer() {
        return issuer;
    }

    AuditTrail audit() {
        return audit;
    }

    /** Per-minter rate limits; exchange counts against the minter of the chain. */
    MinterQuotas quotas() {
        return quotas;
    }

    Clock clock() {
        return clock;
    }
}
