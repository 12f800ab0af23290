package dev.signet.api;

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
 */
final class Admission {

    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** @param maxInFlight how many signing requests may be served at once; at least 1 */
    Admission(int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in flight must be at least 1");
        }
        this.maxInFlight = maxInFlight;
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
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** A filter for the signing routes: refuses beyond the bound before the body is read. */
    void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!tryEnter()) {
            SignetMetrics.overloaded();
            Problems.overloaded(req, res);
            return;
        }
        try {
            chain.proceed();
        } finally {
            exit();
        }
    }
}
