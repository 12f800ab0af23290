package dev.signet.rotation;

import dev.signet.rotation.testing.LifecycleStoreContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Replicas on one host: each handle opens the same issuer directory. */
class FileLifecycleStoreContractTest extends LifecycleStoreContract {

    @TempDir
    Path issuerDir;

    @Override
    protected LifecycleStore replica(String name) {
        return new FileLifecycleStore(issuerDir);
    }
}
