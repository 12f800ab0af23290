package dev.signet.kms;

import dev.signet.spi.SignetException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.model.DependencyTimeoutException;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.KeyUnavailableException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every KMS request goes through here: the breaker (fail fast while KMS is down), the token bucket
 * (stay under the account quota), bounded retries with full-jitter backoff on throttling, and one
 * mapping of SDK failures to Signet codes. The per-attempt deadline is the SDK's
 * {@code apiCallTimeout}, set by {@link KmsKeyBackendProvider}; the SDK's own retries are off so that
 * every attempt passes the bucket and the breaker.
 *
 * <p>Messages of UNAVAILABLE and RESOURCE_EXHAUSTED reach minters, so they name no SDK class or AWS error
 * code; what KMS or the SDK said is logged here for operators and kept as the cause.
 */
final class KmsCalls {

    private static final System.Logger LOG = System.getLogger(KmsCalls.class.getName());

    /** Sleeps; tests pass one that records instead of waiting. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /**
     * @param maxAttempts  tries per call when KMS throttles (1 = no retry)
     * @param baseBackoff  first backoff ceiling; doubles per retry up to {@code maxBackoff}
     * @param maxQueueWait longest a caller waits for a token before RESOURCE_EXHAUSTED
     */
    record Policy(int maxAttempts, Duration baseBackoff, Duration maxBackoff, Duration maxQueueWait) {
        Policy {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("max-attempts must be at least 1");
            }
        }
    }

    private final TokenBucket bucket;
    private final CircuitBreaker breaker;
    private final Policy policy;
    private final Sleeper sleeper;

    KmsCalls(TokenBucket bucket, CircuitBreaker breaker, Policy policy, Sleeper sleeper) {
        this.bucket = bucket;
        this.breaker = breaker;
        this.policy = policy;
        this.sleeper = sleeper;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Runs one KMS operation.
     *
     * @param what the operation, for messages (e.g. {@code Sign})
     * @throws SignetException UNAVAILABLE with Retry-After when KMS is unreachable, times out, fails with
     *                         5xx or the breaker is open; RESOURCE_EXHAUSTED with Retry-After when the local
     *                         budget or KMS throttling persists; NOT_FOUND when KMS has no such key or alias;
     *                         FAILED_PRECONDITION for a disabled key or one pending deletion; INTERNAL for any
     *                         other refusal (permissions, validation)
     */
    <T> T call(String what, Supplier<T> operation) {
        for (int attempt = 1; ; attempt++) {
            var open = breaker.tryAcquire();
            if (open.isPresent()) {
                throw new SignetException(SignetException.Code.UNAVAILABLE,
                        "the key backend is unavailable (circuit open after repeated failures); retry later",
                        open.get(), null);
            }
            // From here a probe slot may be held: every exit must report to the breaker or hand the slot back.
            boolean reported = false;
            try {
                TokenBucket.Permit permit = bucket.reserve(policy.maxQueueWait());
                if (!permit.granted()) {
                    throw new SignetException(SignetException.Code.RESOURCE_EXHAUSTED,
                            "the request budget for the key backend is exhausted; retry later", permit.delay(), null);
                }
                pause(permit.delay(), what);
                T result = operation.get();
                breaker.onSuccess();
                reported = true;
                return result;
            } catch (SdkException e) {
                reported = true;
                if (isOutage(e)) {
                    breaker.onFailure();
                    LOG.log(System.Logger.Level.WARNING, "AWS KMS {0} got no answer: {1}", what, describe(e));
                    throw new SignetException(SignetException.Code.UNAVAILABLE,
                            "the key backend did not answer; retry later", breaker.retryAfter(), e);
                }
                breaker.onSuccess();
                if (!isThrottling(e)) {
                    throw refusal(what, e);
                }
                if (attempt >= policy.maxAttempts()) {
                    LOG.log(System.Logger.Level.WARNING, "AWS KMS throttled {0} {1} times", what, attempt);
                    throw new SignetException(SignetException.Code.RESOURCE_EXHAUSTED,
                            "the key backend is throttling requests; retry later", policy.maxBackoff(), e);
                }
            } finally {
                if (!reported) {
                    breaker.releaseUnusedProbe();
                }
            }
            pause(jitter(backoffCeiling(attempt)), what);
        }
    }

    /** {@link #call} for an operation without a result. */
    void run(String what, Runnable operation) {
        call(what, () -> {
            operation.run();
            return null;
        });
    }

    /**
     * Every item of a paginated listing, one {@link #call} per page.
     *
     * @param page fetches the page after a marker (null for the first)
     * @throws SignetException as {@link #call}; INTERNAL if the peer repeats a marker
     */
    <T> List<T> all(String what, Function<String, KmsApi.Page<T>> page) {
        List<T> items = new ArrayList<>();
        String marker = null;
        do {
            String m = marker;
            KmsApi.Page<T> p = call(what, () -> page.apply(m));
            items.addAll(p.items());
            if (p.next() != null && p.next().equals(marker)) {
                throw new SignetException(SignetException.Code.INTERNAL, "AWS KMS " + what + " repeated marker "
                        + marker + "; stopping rather than looping");
            }
            marker = p.next();
        } while (marker != null);
        return items;
    }

    /**
     * Why KMS refused to use a key: it no longer exists, is disabled, or is in a state that cannot sign
     * (pending deletion, pending import). Empty for any other failure.
     */
    static Optional<String> keyUnusable(Throwable failure) {
        Throwable cause = failure instanceof SignetException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof NotFoundException) {
            return Optional.of("no longer exists in AWS KMS");
        }
        if (cause instanceof DisabledException) {
            return Optional.of("is disabled in AWS KMS");
        }
        if (cause instanceof KmsInvalidStateException) {
            return Optional.of("is in a state that cannot sign in AWS KMS (pending deletion?)");
        }
        return Optional.empty();
    }

    /** Full jitter (uniform in [0, ceiling]) so replicas throttled together do not retry together. */
    static Duration jitter(Duration ceiling) {
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling.toNanos() + 1));
    }

    Duration backoffCeiling(int attempt) {
        long base = policy.baseBackoff().toNanos();
        long ceiling = base << Math.min(attempt - 1, 20);
        return Duration.ofNanos(Math.min(ceiling, policy.maxBackoff().toNanos()));
    }

    static boolean isOutage(SdkException e) {
        if (e instanceof SdkClientException) {
            // No answer: connection refused or reset, DNS, or the apiCall(Attempt)Timeout deadline.
            return true;
        }
        return e instanceof KmsInternalException || e instanceof DependencyTimeoutException
                || e instanceof KeyUnavailableException
                || e instanceof AwsServiceException a && a.statusCode() >= 500;
    }

    static boolean isThrottling(SdkException e) {
        return e instanceof AwsServiceException a && (a.isThrottlingException() || a.statusCode() == 429);
    }

    private static SignetException refusal(String what, SdkException e) {
        if (e instanceof NotFoundException) {
            return new SignetException(SignetException.Code.NOT_FOUND, "AWS KMS " + what + ": " + describe(e), e);
        }
        if (e instanceof KmsInvalidStateException || e instanceof DisabledException) {
            return new SignetException(SignetException.Code.FAILED_PRECONDITION,
                    "AWS KMS " + what + ": key is disabled or pending deletion (" + describe(e) + ")", e);
        }
        return new SignetException(SignetException.Code.INTERNAL, "AWS KMS refused " + what + ": " + describe(e), e);
    }

    /** The error code and HTTP status, or the client failure's class: never request contents or credentials. */
    static String describe(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            return a.awsErrorDetails().errorCode() + " (HTTP " + a.statusCode() + ")";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return e.getClass().getSimpleName() + (root != e ? " caused by " + root.getClass().getSimpleName() : "");
    }

    private void pause(Duration d, String what) {
        if (d.isZero() || d.isNegative()) {
            return;
        }
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted before AWS KMS " + what,
                    Duration.ofSeconds(1), e);
        }
    }
}
