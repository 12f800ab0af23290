package dev.signet.store.postgres.testing;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PostgresClusterTest {

    @Test
    void aFreshDatabaseAcceptsThePasswordAndSurvivesARestart() throws SQLException {
        PostgresCluster pg = PostgresCluster.shared();
        String url = pg.newDatabase();
        assertEquals(1, selectOne(url, pg.properties()));

        Properties wrong = pg.properties();
        wrong.setProperty("password", "not-" + pg.password());
        assertThrows(SQLException.class, () -> selectOne(url, wrong), "password authentication is on");

        pg.stop();
        try {
            assertThrows(SQLException.class, () -> selectOne(url, pg.properties()));
        } finally {
            pg.start();
        }
        assertEquals(1, selectOne(url, pg.properties()));
    }

    private static int selectOne(String url, Properties p) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, p);
             ResultSet r = c.createStatement().executeQuery("SELECT 1")) {
            r.next();
            return r.getInt(1);
        }
    }
}
