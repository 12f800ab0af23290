package dev.signet.ops;

import dev.signet.store.postgres.testing.PostgresCluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A new database on the shared PostgreSQL cluster, with its password in an owner-only file under a test's directory,
 * as a replica configuration names it.
 */
record PostgresDatabase(PostgresCluster pg, String url, Path passwordFile) {

    static PostgresDatabase create(Path dir) throws Exception {
        PostgresCluster pg = PostgresCluster.shared();
        String url = pg.newDatabase();
        Path secret = dir.resolve("pg-password");
        Files.writeString(secret, pg.password());
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        return new PostgresDatabase(pg, url, secret);
    }

    /** The lines under {@code signet.store:} (indented 4 spaces, no final newline). */
    String storeYaml() {
        return "    type: postgres\n    url: \"" + url + "\"\n    user: " + pg.user() + "\n    password-file: \""
                + passwordFile + "\"";
    }
}
