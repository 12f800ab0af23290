package dev.signet.kms;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.GetPublicKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MessageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

import java.util.List;
import java.util.Map;

/** {@link KmsApi} over the SDK v2 client: one SDK request per method, no retries, no interpretation. */
final class SdkKmsApi implements KmsApi {

    private static final int PAGE = 100;

    private final KmsClient kms;

    /** @param kms a client whose SDK retries are off and whose call timeouts are set (the provider does both) */
    SdkKmsApi(KmsClient kms) {
        this.kms = kms;
    }

    @Override
    public KeyMetadata createKey(KeySpec spec, String description, Map<String, String> tags) {
        return kms.createKey(b -> b.keySpec(spec).keyUsage(KeyUsageType.SIGN_VERIFY).description(description)
                .tags(tags(tags))).keyMetadata();
    }

    @Override
    public KeyMetadata createWrappingKey(String description, Map<String, String> tags) {
        return kms.createKey(b -> b.keySpec(KeySpec.SYMMETRIC_DEFAULT).keyUsage(KeyUsageType.ENCRYPT_DECRYPT)
                .description(description).tags(tags(tags))).keyMetadata();
    }

    @Override
    public byte[] encrypt(String keyId, byte[] plaintext, Map<String, String> context) {
        return kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)).encryptionContext(context))
                .ciphertextBlob().asByteArray();
    }

    @Override
    public byte[] decrypt(String keyId, byte[] ciphertext, Map<String, String> context) {
        return kms.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(ciphertext))
                .encryptionContext(context)).plaintext().asByteArray();
    }

    @Override
    public PublicKeyInfo getPublicKey(String keyIdOrAlias) {
        GetPublicKeyResponse r = kms.getPublicKey(b -> b.keyId(keyIdOrAlias));
        return new PublicKeyInfo(r.keyId(), keySpecOf(r), r.keyUsage(), r.publicKey().asByteArray());
    }

    /** KMS sends KeySpec and its deprecated twin CustomerMasterKeySpec; moto sends only the latter. */
    @SuppressWarnings("deprecation")
    private static String keySpecOf(GetPublicKeyResponse r) {
        return r.keySpecAsString() != null ? r.keySpecAsString() : r.customerMasterKeySpecAsString();
    }

    @Override
    public byte[] sign(String keyId, SigningAlgorithmSpec algorithm, byte[] message) {
        return kms.sign(b -> b.keyId(keyId).message(SdkBytes.fromByteArray(message)).messageType(MessageType.RAW)
                .signingAlgorithm(algorithm)).signature().asByteArray();
    }

    @Override
    public KeyMetadata describeKey(String keyId) {
        return kms.describeKey(b -> b.keyId(keyId)).keyMetadata();
    }

    @Override
    public void tagResource(String keyId, Map<String, String> tags) {
        kms.tagResource(b -> b.keyId(keyId).tags(tags(tags)));
    }

    @Override
    public void createAlias(String alias, String keyId) {
        kms.createAlias(b -> b.aliasName(alias).targetKeyId(keyId));
    }

    @Override
    public void deleteAlias(String alias) {
        kms.deleteAlias(b -> b.aliasName(alias));
    }

    @Override
    public void scheduleKeyDeletion(String keyId, int pendingWindowDays) {
        kms.scheduleKeyDeletion(b -> b.keyId(keyId).pendingWindowInDays(pendingWindowDays));
    }

    @Override
    public Page<AliasListEntry> listAliases(String marker) {
        var r = kms.listAliases(b -> b.limit(PAGE).marker(marker));
        return new Page<>(r.aliases(), next(r.truncated(), r.nextMarker()));
    }

    @Override
    public Page<KeyListEntry> listKeys(String marker) {
        var r = kms.listKeys(b -> b.limit(PAGE).marker(marker));
        return new Page<>(r.keys(), next(r.truncated(), r.nextMarker()));
    }

    @Override
    public Page<Tag> listResourceTags(String keyId, String marker) {
        var r = kms.listResourceTags(b -> b.keyId(keyId).marker(marker));
        return new Page<>(r.tags(), next(r.truncated(), r.nextMarker()));
    }

    @Override
    public void close() {
        kms.close();
    }

    private static String next(Boolean truncated, String marker) {
        return Boolean.TRUE.equals(truncated) ? marker : null;
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().tagKey(e.getKey()).tagValue(e.getValue()).build())
                .toList();
    }
}
