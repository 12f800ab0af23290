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
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Every KMS request goes through here: the breaker (fail fast while KMS is down), the token bucket
 * (stay under the account quota), bounded retries with full-jitter backoff on throttling, and one
 * mapping of SDK failures to Signet codes. The per-attempt deadline is the SDK's
 * {@code apiCallTimeout}, set by {@link KmsKeyBackendProvider}; the SDK's own retries are off so that
 * every attempt passes the bucket and the breaker.
 */
final class KmsCalls {

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
                        "AWS KMS is unavailable (circuit open); " + what + " not attempted", open.get(), null);
            }
            // From here a probe slot may be held: every exit must report to the breaker or hand the slot back.
            boolean reported = false;
            try {
                TokenBucket.Permit permit = bucket.reserve(policy.maxQueueWait());
                if (!permit.granted()) {
                    throw new SignetException(SignetException.Code.RESOURCE_EXHAUSTED,
                            "local KMS request budget (backend.max-requests-per-second) exhausted", permit.delay(), null);
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
                    throw new SignetException(SignetException.Code.UNAVAILABLE,
                            "AWS KMS " + what + " failed: " + describe(e), breaker.retryAfter(), e);
                }
                breaker.onSuccess();
                if (!isThrottling(e)) {
                    throw refusal(what, e);
                }
                if (attempt >= policy.maxAttempts()) {
                    throw new SignetException(SignetException.Code.RESOURCE_EXHAUSTED,
                            "AWS KMS throttled " + what + " " + attempt + " times", policy.maxBackoff(), e);
                }
            } finally {
                if (!reported) {
                    breaker.releaseUnusedProbe();
                }
            }
            pause(jitter(backoffCeiling(attempt)), what);
        }
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
