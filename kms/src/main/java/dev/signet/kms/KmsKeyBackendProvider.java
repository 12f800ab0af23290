package dev.signet.kms;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendProvider;
import dev.signet.spi.SignetException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code backend.type: kms}. Settings (all under {@code backend.}, reference in {@code kms/README.md}):
 * {@code region}; {@code endpoint} (override, e.g. moto or a VPC endpoint); credentials from
 * {@code access-key-id-env}/{@code -file} with {@code secret-access-key-env}/{@code -file} (and optional
 * {@code session-token-env}/{@code -file}), else {@code profile}, else the SDK default chain; and the tuning
 * settings read by {@link KmsOptions}.
 */
public final class KmsKeyBackendProvider implements KeyBackendProvider {

    private static final System.Logger LOG = System.getLogger(KmsKeyBackendProvider.class.getName());

    @Override
    public String type() {
        return "kms";
    }

    /**
     * @throws SignetException INVALID_ARGUMENT for a malformed setting, half-given static credentials or no region
     *                         anywhere; reconcile failures at open are logged, not thrown, so a KMS outage at
     *                         start-up shows as UNAVAILABLE on first use rather than as a configuration error
     */
    @Override
    public KeyBackend open(BackendSettings settings) {
        KmsOptions options = KmsOptions.from(settings);
        KmsKeyBackend backend = open(settings, options, Thread::sleep);
        backend.scheduleChecks(KmsKeyBackendProvider::daemonEvery);
        if (options.reconcileOnOpen()) {
            try {
                backend.reconcile();
            } catch (SignetException e) {
                LOG.log(System.Logger.Level.WARNING, "KMS reconcile at open failed ({0}): {1}", e.code(),
                        e.getMessage());
            }
        }
        return backend;
    }

    /** Opens over the SDK client without reconciling or scheduling checks; tests pass their own sleeper. */
    static KmsKeyBackend open(BackendSettings settings, KmsOptions options, KmsCalls.Sleeper sleeper) {
        KmsClientBuilder builder = KmsClient.builder()
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(options.callTimeout())
                        .socketTimeout(options.callTimeout())
                        .build())
                .credentialsProvider(credentials(settings))
                .overrideConfiguration(c -> c
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(options.callTimeout())
                        .apiCallAttemptTimeout(options.callTimeout()));
        Optional<String> region = settings.get("region");
        region.ifPresent(r -> builder.region(Region.of(r)));
        Optional<URI> endpoint = settings.get("endpoint").map(KmsKeyBackendProvider::uri);
        endpoint.ifPresent(builder::endpointOverride);
        KmsClient client;
        try {
            client = builder.build();
        } catch (SdkClientException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "cannot configure the KMS client (set "
                    + "backend.region or AWS_REGION): " + e.getClass().getSimpleName());
        }
        String where = "region=" + region.orElse("(sdk default)") + endpoint
                .map(e -> " endpoint=" + e.getScheme() + "://" + e.getHost() + (e.getPort() > 0 ? ":" + e.getPort() : ""))
                .orElse("");
        return over(new SdkKmsApi(client), settings, options, sleeper, where);
    }

    /** The backend over any {@link KmsApi}: the SDK's, or a fake in tests. */
    static KmsKeyBackend over(KmsApi kms, BackendSettings settings, KmsOptions options, KmsCalls.Sleeper sleeper,
                              String where) {
        TokenBucket bucket = new TokenBucket(options.maxRequestsPerSecond(), settings.clock());
        CircuitBreaker breaker = new CircuitBreaker(options.breakerFailures(), options.breakerCoolDown(),
                settings.clock());
        KmsCalls calls = new KmsCalls(bucket, breaker, new KmsCalls.Policy(options.maxAttempts(),
                Duration.ofMillis(50), Duration.ofSeconds(1), options.callTimeout()), sleeper);
        return new KmsKeyBackend(kms, calls, options, settings.issuer(), settings.clock(), where);
    }

    /** One daemon thread per backend, stopped when the backend closes. */
    private static AutoCloseable daemonEvery(Duration period, Runnable task) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "signet-kms-key-check");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return executor::shutdownNow;
    }

    /** @throws SignetException INVALID_ARGUMENT for half-given or inline static credentials */
    static AwsCredentialsProvider credentials(BackendSettings settings) {
        Optional<char[]> id = settings.secret("access-key-id");
        Optional<char[]> key = settings.secret("secret-access-key");
        if (id.isPresent() != key.isPresent()) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "backend.access-key-id-* and backend.secret-access-key-* must be given together");
        }
        if (id.isPresent()) {
            Optional<char[]> token = settings.secret("session-token");
            return StaticCredentialsProvider.create(token
                    .<software.amazon.awssdk.auth.credentials.AwsCredentials>map(t -> AwsSessionCredentials.create(
                            new String(id.get()), new String(key.get()), new String(t)))
                    .orElseGet(() -> AwsBasicCredentials.create(new String(id.get()), new String(key.get()))));
        }
        Optional<String> profile = settings.get("profile");
        if (profile.isPresent()) {
            return ProfileCredentialsProvider.create(profile.get());
        }
        return DefaultCredentialsProvider.builder().build();
    }

    private static URI uri(String s) {
        try {
            URI u = new URI(s);
            if (u.getScheme() == null || u.getHost() == null) {
                throw new URISyntaxException(s, "needs scheme and host");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "backend.endpoint must be a URL like https://kms.eu-west-1.amazonaws.com, got '" + s + "'");
        }
    }
}
