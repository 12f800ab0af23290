package dev.signet.api;

import dev.signet.audit.DurabilityWait;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission of signing requests: at most {@code signet.http.max-in-flight} are served at once; one more is
 * refused at once with 503 {@code urn:signet:problem:overloaded} and {@code Retry-After}, rather than queued behind
 * work that already takes all the cores. A queue beyond capacity only adds latency to every request in it; a fast
 * refusal lets the client back off or try another replica, and keeps the accepted requests' latency bounded
 * (at most the bound's worth of work ahead of each). Per-minter rate limits belong next to this rule.
 *
 * <p>The bound protects the CPU. A request whose token is signed and which waits for its audit record's fsync
 * (durable audit, group commit) uses none, so while it is parked its place is lent to another request: up to
 * {@code signet.http.max-parked} requests may be parked at once (beyond that a waiting request keeps its place).
 * Without this, a disk with fsync latency L caps a replica at max-in-flight / L requests/s whatever its cores.
 * A parked request takes a place back when it resumes, even past the bound: all it has left is writing the answer
 * of a token already signed and recorded.
 */
final class Admission {

    private final int maxInFlight;
    private final int maxParked;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger parked = new AtomicInteger();
    private final Runnable nobodyAtWork;

    /**
     * @param maxInFlight how many signing requests may be served at once; at least 1
     * @param maxParked   how many more may wait for durability at once, holding no place; at least 0
     */
    Admission(int maxInFlight, int maxParked) {
        this(maxInFlight, maxParked, () -> {
        });
    }

    /** @param nobodyAtWork run when the last request in flight parks or leaves (the audit trail writes its group) */
    Admission(int maxInFlight, int maxParked, Runnable nobodyAtWork) {
        this.nobodyAtWork = nobodyAtWork;
        if (maxInFlight < 1 || maxParked < 0) {
            throw new IllegalArgumentException("max in flight must be at least 1 and max parked at least 0");
        }
        this.maxInFlight = maxInFlight;
        this.maxParked = maxParked;
    }

    /** Takes a place; false (and nothing taken) when all {@code maxInFlight} are taken. */
    boolean tryEnter() {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void exit() {
        if (inFlight.decrementAndGet() == 0) {
            nobodyAtWork.run();
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    int parked() {
        return parked.get();
    }

    /** A filter for the signing routes: refuses beyond the bound before the body is read. */
    void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!tryEnter()) {
            SignetMetrics.overloaded();
            Problems.overloaded(req, res);
            return;
        }
        Place place = new Place();
        try {
            DurabilityWait.during(place, chain::proceed);
        } finally {
            place.leave();
        }
    }

    /** One admitted request's place; used by the request's own thread only. */
    final class Place implements DurabilityWait.Listener {

        private boolean lent;

        @Override
        public void parked() {
            if (lent) {
                return;
            }
            if (parked.incrementAndGet() > maxParked) {
                parked.decrementAndGet();
                return;
            }
            lent = true;
            exit();
        }

        @Override
        public void resumed() {
            if (lent) {
                lent = false;
                inFlight.incrementAndGet();
                parked.decrementAndGet();
            }
        }

        void leave() {
            resumed();
            exit();
        }
    }
}
