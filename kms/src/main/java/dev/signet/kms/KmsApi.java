package dev.signet.kms;

import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

import java.util.List;
import java.util.Map;

/**
 * The AWS KMS operations Signet uses, and no others: {@link SdkKmsApi} over the SDK v2 client in production,
 * {@code FakeKms} in tests. Failures are the SDK's own exceptions ({@code NotFoundException},
 * {@code DisabledException}, {@code KmsInvalidStateException}, throttling, {@code SdkClientException} when
 * KMS did not answer), classified once by {@link KmsCalls}. Every call returns or fails within the client's
 * call timeout. Keys may be named by id, ARN or (where KMS allows) alias.
 */
interface KmsApi extends AutoCloseable {

    /** One page of a listing; {@code next} is the marker of the following page, null on the last. */
    record Page<T>(List<T> items, String next) {
        public Page {
            items = List.copyOf(items);
        }
    }

    /**
     * GetPublicKey's answer.
     *
     * @param keyArn  the key's ARN (KMS answers with the ARN even when asked by alias)
     * @param keySpec e.g. {@code ECC_NIST_P256}
     * @param spki    the DER SubjectPublicKeyInfo
     */
    record PublicKeyInfo(String keyArn, String keySpec, KeyUsageType usage, byte[] spki) {
    }

    /** CreateKey with {@code KeyUsage=SIGN_VERIFY}. */
    KeyMetadata createKey(KeySpec spec, String description, Map<String, String> tags);

    PublicKeyInfo getPublicKey(String keyIdOrAlias);

    /** Sign with {@code MessageType=RAW}: KMS hashes {@code message} itself. Returns the signature as KMS sends it. */
    byte[] sign(String keyId, SigningAlgorithmSpec algorithm, byte[] message);

    KeyMetadata describeKey(String keyId);

    void tagResource(String keyId, Map<String, String> tags);

    void createAlias(String alias, String keyId);

    void deleteAlias(String alias);

    void scheduleKeyDeletion(String keyId, int pendingWindowDays);

    /** Every alias of the account and region, a page at a time; {@code marker} null for the first page. */
    Page<AliasListEntry> listAliases(String marker);

    Page<KeyListEntry> listKeys(String marker);

    Page<Tag> listResourceTags(String keyId, String marker);

    /** CreateKey with {@code KeySpec=SYMMETRIC_DEFAULT, KeyUsage=ENCRYPT_DECRYPT}: a wrapping key. */
    default KeyMetadata createWrappingKey(String description, Map<String, String> tags) {
        throw new UnsupportedOperationException("CreateKey (symmetric)");
    }

    /** Encrypt under {@code keyId} with an encryption context; returns the ciphertext blob. */
    default byte[] encrypt(String keyId, byte[] plaintext, Map<String, String> context) {
        throw new UnsupportedOperationException("Encrypt");
    }

    /** Decrypt a blob of {@link #encrypt}, insisting on {@code keyId} and the same context. */
    default byte[] decrypt(String keyId, byte[] ciphertext, Map<String, String> context) {
        throw new UnsupportedOperationException("Decrypt");
    }

    @Override
    void close();
}
