package dev.signet.store.postgres;

import dev.signet.rotation.ReplicaId;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * For {@code @RegisterExtension}: a new database on the shared cluster and an issuer of its own for each test, the
 * replicas' stores opened on it, and whatever else the test hands to {@link #closeAfter}, closed after the test in
 * reverse order.
 */
final class ReplicaStores implements AfterEachCallback {

    final PostgresCluster pg = PostgresCluster.shared();
    final String url = pg.newDatabase();
    final String issuer = "https://issuer.test/" + UUID.randomUUID();
    private final List<AutoCloseable> open = new ArrayList<>();

    /** Replica {@code name}'s connection to the test's database. */
    PostgresStore open(String name) {
        return closeAfter(PostgresStore.open(new PostgresStore.Settings(url, pg.user(), pg.password(), new ReplicaId(name))));
    }

    <T extends AutoCloseable> T closeAfter(T resource) {
        synchronized (open) {
            open.add(resource);
        }
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        List<AutoCloseable> all;
        synchronized (open) {
            all = List.copyOf(open).reversed();
            open.clear();
        }
        for (AutoCloseable c : all) {
            c.close();
        }
    }
}
