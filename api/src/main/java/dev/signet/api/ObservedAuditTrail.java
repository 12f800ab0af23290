package dev.signet.api;

import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;

/**
 * The audit trail as the place every issuance and refusal already passes: counts them per minter and reason and
 * adds minter and kid to the request's log line, without the HTTP layer knowing.
 */
final class ObservedAuditTrail implements AuditTrail {

    private final AuditTrail trail;
    private final IssuanceWindow window;

    private ObservedAuditTrail(AuditTrail trail, IssuanceWindow window) {
        this.trail = trail;
        this.window = window;
    }

    /** @param window where the key timeline page's last hour per minter is counted */
    static AuditTrail wrap(AuditTrail trail, IssuanceWindow window) {
        return new ObservedAuditTrail(trail instanceof ObservedAuditTrail o ? o.trail : trail, window);
    }

    @Override
    public Receipt append(AuditEvent event) {
        Receipt receipt = trail.append(event);
        observe(event);
        return receipt;
    }

    @Override
    public Receipt appendAll(java.util.List<AuditEvent> events) {
        Receipt receipt = trail.appendAll(events);
        events.forEach(this::observe);
        return receipt;
    }

    @Override
    public void admission(java.util.function.IntSupplier atWork) {
        trail.admission(atWork);
    }

    @Override
    public void nobodyAtWork() {
        trail.nobodyAtWork();
    }

    private void observe(AuditEvent event) {
        Object minter = event.fields().get("client_id");
        if (minter != null) {
            switch (event.type()) {
                case "token" -> {
                    SignetMetrics.token(minter.toString(), "issued", "none");
                    window.issued(minter.toString());
                    AccessLog.note("minter", minter);
                    AccessLog.note("kid", event.fields().get("kid"));
                }
                case "refusal" -> {
                    Object reason = event.fields().get("reason");
                    SignetMetrics.token(minter.toString(), "refused", reason == null ? "unknown" : reason.toString());
                    window.refused(minter.toString());
                    AccessLog.note("minter", minter);
                }
                default -> {
                }
            }
        }
    }

    @Override
    public void countUnauthenticated(String source, String reason) {
        SignetMetrics.token("unauthenticated", "refused", reason);
        window.refused("unauthenticated");
        trail.countUnauthenticated(source, reason);
    }

    @Override
    public void countRateLimited(String minter) {
        SignetMetrics.token(minter, "refused", "RATE_LIMITED");
        window.refused(minter);
        AccessLog.note("minter", minter);
        trail.countRateLimited(minter);
    }

    @Override
    public String failure() {
        return trail.failure();
    }
}
