package dev.signet.rotation;

import dev.signet.rotation.testing.LifecycleStoreContract;

/** The store the long simulations use keeps the same promises; replicas share the one instance. */
class InMemoryLifecycleStoreContractTest extends LifecycleStoreContract {

    private final InMemoryLifecycleStore store = new InMemoryLifecycleStore();

    @Override
    protected LifecycleStore replica(String name) {
        return store;
    }

    @Override
    protected boolean tellsIssuerStarted() {
        return false;
    }
}
