package dev.signet.audit;

import dev.signet.spi.SignetException;

/**
 * Where the daemon records what it did. {@link #append} queues an event; the returned receipt's
 * {@link Receipt#await()} returns once the record is durable (or at once, with asynchronous durability).
 */
public interface AuditTrail {

    /** Completion of one appended record. */
    interface Receipt {
        /**
         * Blocks until the record is durable.
         *
         * @throws SignetException UNAVAILABLE (with Retry-After) if the log could not write it
         */
        void await();
    }

    /**
     * @throws SignetException UNAVAILABLE if the log is failing or overloaded; the caller must not hand out
     *                         what the event describes
     */
    Receipt append(AuditEvent event);

    /**
     * Appends several events as one: one receipt for all, so a batch request waits for durability once. Whether
     * the trail can record is decided for all of them (the default appends one by one, and an event appended
     * before a refusal stays recorded: a record without its token is harmless, a token without one is not).
     *
     * @throws SignetException UNAVAILABLE as {@link #append}; the caller must hand out none of what they describe
     */
    default Receipt appendAll(java.util.List<AuditEvent> events) {
        java.util.List<Receipt> receipts = new java.util.ArrayList<>(events.size());
        for (AuditEvent event : events) {
            receipts.add(append(event));
        }
        return () -> receipts.forEach(Receipt::await);
    }

    /**
     * Counts a refusal of a caller without a valid credential. These are aggregated per source and reason over a
     * short interval and recorded as one {@code refusals} record each, so nobody without a credential can fill
     * the disk and, through fail-closed, stop signing.
     */
    default void countUnauthenticated(String source, String reason) {
    }

    /**
     * Counts a request refused because its minter is over its rate limit: aggregated per minter like
     * {@link #countUnauthenticated} (one {@code refusals} record with {@code client_id} per interval), so a
     * flooding minter cannot fill the disk with its own refusals.
     */
    default void countRateLimited(String minter) {
    }

    /**
     * Tells a durable trail how many admitted requests are at work (neither parked on their record nor gone), read
     * when it sizes a group: with a backlog it gathers longer (their CPU is used either way), with nobody at work it
     * writes at once (nobody else can join). {@link #nobodyAtWork} says when the count falls to zero.
     */
    default void admission(java.util.function.IntSupplier atWork) {
    }

    /** The last admitted request at work parked or left: a group held open for more records is written now. */
    default void nobodyAtWork() {
    }

    /** Why the trail cannot record right now, or null when it can (readiness reports it). */
    default String failure() {
        return null;
    }

    /** A trail that records nothing: for tools and tests that opt out explicitly. */
    AuditTrail NONE = event -> () -> {
    };
}
