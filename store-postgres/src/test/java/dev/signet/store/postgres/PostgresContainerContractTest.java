package dev.signet.store.postgres;

import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.ReplicaId;
import dev.signet.rotation.testing.LifecycleStoreContract;
import org.junit.jupiter.api.AfterEach;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The store contract against PostgreSQL 15 in a container, for machines with a Docker engine (the only skip
 * allowed: Testcontainers disables the class without one). Where Docker is absent, {@link
 * PostgresLifecycleStoreContractTest} runs the same contract on a throwaway cluster from Debian's packages.
 */
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerContractTest extends LifecycleStoreContract {

    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer(DockerImageName.parse("postgres:15"));

    private final Map<String, PostgresStore> replicas = new HashMap<>();
    private final String issuer = "https://issuer.test/" + UUID.randomUUID();

    @AfterEach
    void closeReplicas() {
        replicas.values().forEach(PostgresStore::close);
    }

    @Override
    protected LifecycleStore replica(String name) {
        return replicas.computeIfAbsent(name, n -> PostgresStore.open(new PostgresStore.Settings(
                POSTGRES.getJdbcUrl(), POSTGRES.getUsername(), POSTGRES.getPassword(), new ReplicaId(n))))
                .journal(issuer);
    }

    @Override
    protected boolean notifies() {
        return true;
    }
}
