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

    /**
     * The facts of the tokens issued in one block of {@value StatusLists#RESERVE} indices of a list, encoded by
     * {@link StatusLists}; {@code exp} is the list's; {@code version} grows with every write (0 when writing).
     */
    record Block(String list, int block, Instant exp, byte[] facts, long version) {
    }

    /** Adds {@code n} to the live tokens rule {@code id} covered, over every replica. */
    void addCovered(String id, int n);

    /** How many live tokens rule {@code id} covered, over every replica that reported; 0 if none did. */
    long covered(String id);

    /** Stores (or replaces) blocks of this replica's lists, in one transaction. */
    void writeBlocks(List<Block> blocks);

    /**
     * Records that this replica is alive at {@code now}, and adopts every replica not seen for the store's
     * adoption bound: from then on this replica signs that replica's lists (and those it had adopted).
     *
     * @return the ids of this replica's own lists that another replica now signs in its place
     */
    java.util.Set<String> heartbeat(Instant now);

    /**
     * The blocks of the lists this replica signs in another's place whose version is not
     * {@code known.get(list + "/" + block)}.
     */
    List<Block> adoptedBlocks(java.util.Map<String, Long> known);
}
