package dev.signet.revocation;

import java.time.Instant;
import java.util.List;

/**
 * What replicas share about revocation (the PostgreSQL store): the rules, in one order, and each list's signed
 * bytes as its owner last published them, so every replica serves every list with identical bytes and ETag.
 * A replica applies every rule to the tokens it issued; it never signs another replica's list.
 */
public interface SharedStatus {

    /** A rule and its place in the shared order. */
    record SharedRule(long seq, StatusLists.Rule rule) {
    }

    /** A list's signed bytes as its owner published them; {@code version} grows with every publication. */
    record PublishedList(String id, byte[] body, String etag, Instant exp, long version) {
    }

    /**
     * Stores {@code rule} durably (committed) and notifies the other replicas.
     *
     * @return its sequence number
     * @throws dev.signet.spi.SignetException UNAVAILABLE when the store cannot be reached
     */
    long append(StatusLists.Rule rule);

    /**
     * The rules in force, oldest first. All of them, not those after a sequence number: a rule committed late
     * with a lower number would be skipped for ever.
     */
    List<SharedRule> rules();

    /** Publishes (or replaces) the owner's signed bytes of a list. */
    void publish(String id, byte[] body, String etag, Instant exp);

    /** The published lists, unexpired, whose ETag is not {@code known.get(id)} (ids and ETags are compared first). */
    List<PublishedList> changedLists(java.util.Map<String, String> known);

    /** Runs {@code onChange} soon after another replica changes something (callers poll as well). */
    void subscribe(Runnable onChange);
}
