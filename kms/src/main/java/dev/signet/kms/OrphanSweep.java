package dev.signet.kms;

import dev.signet.spi.SignetException;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds this issuer's keys that have tags but no alias: left by a {@code generate} that failed or whose process
 * died between CreateKey and CreateAlias. Such a key never signed anything (a key is returned to callers only
 * after its alias exists), so it is scheduled for deletion rather than adopted: adopting would publish keys
 * nobody asked for. Keys younger than {@code grace} are left alone, because another replica may be in the
 * middle of generating them. Costs ListKeys plus ListResourceTags for every key in the account and region
 * without a Signet alias, plus DescribeKey per candidate: run at open or from operations, not per request.
 */
final class OrphanSweep {

    private static final System.Logger LOG = System.getLogger(OrphanSweep.class.getName());

    private final KmsApi kms;
    private final KmsCalls calls;
    private final AliasScheme aliases;
    private final Clock clock;
    private final Duration grace;
    private final int deletionWindowDays;

    OrphanSweep(KmsApi kms, KmsCalls calls, AliasScheme aliases, Clock clock, Duration grace, int deletionWindowDays) {
        this.kms = kms;
        this.calls = calls;
        this.aliases = aliases;
        this.clock = clock;
        this.grace = grace;
        this.deletionWindowDays = deletionWindowDays;
    }

    /**
     * Failures per key are logged and the sweep goes on; an outage stops it.
     *
     * @param aliasedKeyIds the KMS key ids (or ARNs) that some alias of this issuer names
     * @return the KMS key ids scheduled for deletion
     * @throws SignetException UNAVAILABLE / RESOURCE_EXHAUSTED if listing fails or KMS goes away meanwhile
     */
    List<String> run(Collection<String> aliasedKeyIds) {
        Set<String> aliased = new HashSet<>();
        aliasedKeyIds.forEach(id -> aliased.add(KmsKeyBackend.bareKeyId(id)));
        Instant cutoff = clock.instant().minus(grace);
        List<String> scheduled = new ArrayList<>();
        for (KeyListEntry entry : calls.all("ListKeys", kms::listKeys)) {
            if (aliased.contains(KmsKeyBackend.bareKeyId(entry.keyId()))) {
                continue;
            }
            try {
                if (isOrphan(entry.keyId(), cutoff)) {
                    calls.run("ScheduleKeyDeletion", () -> kms.scheduleKeyDeletion(entry.keyId(), deletionWindowDays));
                    scheduled.add(entry.keyId());
                    LOG.log(System.Logger.Level.WARNING, "scheduled orphan KMS key {0} of issuer {1} for deletion"
                            + " in {2} days", entry.keyId(), aliases.slug(), deletionWindowDays);
                }
            } catch (SignetException e) {
                if (e.code() == SignetException.Code.UNAVAILABLE) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "orphan sweep skipped KMS key {0}: {1}", entry.keyId(),
                        e.getMessage());
            }
        }
        return scheduled;
    }

    private boolean isOrphan(String keyId, Instant cutoff) {
        if (!aliases.slug().equals(KeyLoader.tags(kms, calls, keyId).get(AliasScheme.TAG_ISSUER))) {
            return false;
        }
        KeyMetadata meta = calls.call("DescribeKey", () -> kms.describeKey(keyId));
        return meta.keyState() != KeyState.PENDING_DELETION && meta.keyState() != KeyState.PENDING_REPLICA_DELETION
                && meta.creationDate() != null && meta.creationDate().isBefore(cutoff);
    }
}
