package dev.signet.api;

import dev.signet.audit.AuditSearch;
import dev.signet.revocation.StatusLists;
import dev.signet.spi.SignetException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * At start, puts the facts of this replica's live tokens back into its status lists from its audit log (the
 * durable record of every token, with its status index): a rule made after a restart covers the tokens issued
 * before it. Only segments written within the longest token lifetime are read.
 */
final class RevocationFacts {

    private static final System.Logger LOG = System.getLogger(RevocationFacts.class.getName());

    private RevocationFacts() {
    }

    /** @return how many live tokens were restored */
    static long restore(StatusLists lists, Path auditDir, Duration maxLifetime, Clock clock) {
        long started = System.nanoTime();
        long[] restored = {0};
        Instant since = clock.instant().minus(maxLifetime).minusSeconds(60);
        long read;
        try {
            read = AuditSearch.tokens(auditDir, since, r -> {
                if (r.get("status_list") instanceof String list && r.get("status_idx") instanceof Number idx
                        && r.get("jti") instanceof String jti && r.get("exp") instanceof Number exp) {
                    if (lists.restore(list, idx.intValue(), new StatusLists.Token(jti, Instant.ofEpochSecond(
                            exp.longValue()), str(r, "task"), str(r, "sub"), str(r, "client_id"), str(r, "parent_jti")))) {
                        restored[0]++;
                    }
                }
            });
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read the audit log " + auditDir
                    + " to restore the facts revocation rules need: " + e.getMessage() + "; fix its permissions", e);
        }
        LOG.log(System.Logger.Level.INFO, "restored the facts of {0} live tokens from {1} audit records in {2} ms",
                restored[0], read, (System.nanoTime() - started) / 1_000_000);
        return restored[0];
    }

    private static String str(Map<String, Object> r, String name) {
        return r.get(name) instanceof String s ? s : null;
    }
}
