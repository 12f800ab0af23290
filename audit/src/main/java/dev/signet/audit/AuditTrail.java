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

    /** Why the trail cannot record right now, or null when it can (readiness reports it). */
    default String failure() {
        return null;
    }

    /** A trail that records nothing: for tools and tests that opt out explicitly. */
    AuditTrail NONE = event -> () -> {
    };
}
