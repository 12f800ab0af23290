package dev.signet.kms;

import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;

import java.time.Instant;
import java.util.Map;

/**
 * What a test does to KMS behind Signet's back, as an operator or an accident would: {@link SdkKmsAdmin} through
 * the SDK against moto or LocalStack, {@link FakeKms} directly.
 */
interface KmsAdmin extends AutoCloseable {

    /** A SIGN_VERIFY key with these tags and no alias; returns its key id. */
    String createKey(KeySpec spec, Map<String, String> tags);

    void createAlias(String alias, String keyId);

    /** The key id behind an alias, id or ARN. */
    String keyId(String aliasOrId);

    KeyState state(String keyId);

    Instant deletionDate(String keyId);

    Map<String, String> tags(String keyId);

    int keyCount();

    void disable(String keyId);

    void enable(String keyId);

    /** ScheduleKeyDeletion with the shortest window. */
    void scheduleDeletion(String keyId);

    /** Every key and alias is gone, as when moto restarts. */
    void loseEverything() throws Exception;

    @Override
    void close();
}
