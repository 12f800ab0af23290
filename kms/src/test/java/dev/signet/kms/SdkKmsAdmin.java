package dev.signet.kms;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.Tag;

import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** {@link KmsAdmin} through the SDK, for a KMS-compatible endpoint; {@code restart} makes it lose its state. */
final class SdkKmsAdmin implements KmsAdmin {

    interface Restart {
        void run() throws Exception;
    }

    private final KmsClient kms;
    private final Restart restart;

    SdkKmsAdmin(URI endpoint, String region, String accessKey, String secretKey, Restart restart) {
        this.kms = KmsClient.builder().endpointOverride(endpoint).region(Region.of(region))
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build();
        this.restart = restart;
    }

    @Override
    public String createKey(KeySpec spec, Map<String, String> tags) {
        return kms.createKey(r -> r.keySpec(spec).keyUsage(KeyUsageType.SIGN_VERIFY)
                .tags(tags.entrySet().stream().map(e -> Tag.builder().tagKey(e.getKey()).tagValue(e.getValue())
                        .build()).toList())).keyMetadata().keyId();
    }

    @Override
    public void createAlias(String alias, String keyId) {
        kms.createAlias(r -> r.aliasName(alias).targetKeyId(keyId));
    }

    @Override
    public String keyId(String aliasOrId) {
        return kms.describeKey(r -> r.keyId(aliasOrId)).keyMetadata().keyId();
    }

    @Override
    public KeyState state(String keyId) {
        return kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState();
    }

    @Override
    public Instant deletionDate(String keyId) {
        return kms.describeKey(r -> r.keyId(keyId)).keyMetadata().deletionDate();
    }

    @Override
    public Map<String, String> tags(String keyId) {
        Map<String, String> tags = new HashMap<>();
        kms.listResourceTagsPaginator(r -> r.keyId(keyId)).tags().forEach(t -> tags.put(t.tagKey(), t.tagValue()));
        return tags;
    }

    @Override
    public int keyCount() {
        return kms.listKeysPaginator(b -> b.limit(100)).stream().mapToInt(p -> p.keys().size()).sum();
    }

    @Override
    public void disable(String keyId) {
        kms.disableKey(r -> r.keyId(keyId));
    }

    @Override
    public void enable(String keyId) {
        kms.enableKey(r -> r.keyId(keyId));
    }

    @Override
    public void scheduleDeletion(String keyId) {
        kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7));
    }

    @Override
    public void loseEverything() throws Exception {
        restart.run();
    }

    @Override
    public void close() {
        kms.close();
    }
}
