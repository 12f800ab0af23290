package dev.signet.pkcs11;

import dev.signet.spi.SignetException;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Platform threads that make the PKCS#11 calls of virtual request threads, or none (calls run on the caller). A
 * virtual thread in a native call pins its carrier (one per CPU), so with a network HSM's latency a few slow calls
 * would stall every other request; for a token in this process the hand-off only costs.
 */
final class SigningThreads implements AutoCloseable {

    private final ExecutorService threads;
    private final Duration wait;

    /**
     * @param count platform threads, or 0 to sign on the calling thread
     * @param wait  how long a call may wait for a free thread before it is UNAVAILABLE
     * @throws SignetException INVALID_ARGUMENT for a negative count
     */
    SigningThreads(int count, String name, Duration wait) {
        if (count < 0) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "backend.signing-threads must not be negative");
        }
        this.threads = count == 0 ? null
                : Executors.newFixedThreadPool(count, Thread.ofPlatform().daemon().name(name + "-", 0).factory());
        this.wait = wait;
    }

    /** Runs {@code call} on a signing thread when the caller is virtual and there are signing threads. */
    byte[] run(Supplier<byte[]> call) {
        if (threads == null || !Thread.currentThread().isVirtual()) {
            return call.get();
        }
        Future<byte[]> f;
        try {
            f = threads.submit(call::get);
        } catch (RejectedExecutionException e) {
            throw TokenFaults.unavailable(Duration.ofSeconds(1), e);
        }
        try {
            return f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new SignetException(SignetException.Code.INTERNAL, "signing failed", e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new SignetException(SignetException.Code.UNAVAILABLE, TokenFaults.BUSY, Duration.ofSeconds(1),
                    new TimeoutException("no signing thread free within " + wait.toSeconds() + " s"));
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted", Duration.ofSeconds(1), e);
        }
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.shutdownNow();
        }
    }
}
