package dev.signet.store.postgres;

import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.ReplicaId;
import dev.signet.rotation.testing.LifecycleStoreContract;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Each replica its own {@link PostgresStore} (pool, listener) on one database, as on separate hosts. */
class PostgresLifecycleStoreContractTest extends LifecycleStoreContract {

    private static String url;
    private final Map<String, PostgresStore> replicas = new HashMap<>();
    private final String issuer = "https://issuer.test/" + UUID.randomUUID();

    @BeforeEach
    void database() {
        PostgresCluster pg = PostgresCluster.shared();
        synchronized (PostgresLifecycleStoreContractTest.class) {
            if (url == null) {
                url = pg.newDatabase();
            }
        }
    }

    @AfterEach
    void closeReplicas() {
        replicas.values().forEach(PostgresStore::close);
    }

    @Override
    protected LifecycleStore replica(String name) {
        PostgresCluster pg = PostgresCluster.shared();
        return replicas.computeIfAbsent(name, n -> PostgresStore.open(new PostgresStore.Settings(url, pg.user(),
                pg.password(), new ReplicaId(n)))).journal(issuer);
    }

    @Override
    protected boolean notifies() {
        return true;
    }
}
