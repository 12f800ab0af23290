package dev.signet.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.signet.ops.Replicas.Replica;
import dev.signet.spi.testing.JwsVerification;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.signet.ops.DevModeProcessTest.ADMIN;
import static dev.signet.ops.DevModeProcessTest.MINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@code signet serve} processes, each with its own data dir and ports, sharing nothing but PostgreSQL
 * and the key backend (one software keystore outside their data dirs, standing in for KMS or a network HSM).
 */
class PostgresReplicasProcessTest {

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    /** Replicas sharing the database and one software keystore outside their data dirs. */
    Replicas replicas() throws Exception {
        Files.writeString(dir.resolve("keystore-password"), "replicas-test-keystore-password");
        return new Replicas(dir, PostgresDatabase.create(dir), Map.of());
    }

    /** @param store more lines under signet.store (indented 4 spaces) */
    Replica start(Replicas fleet, String name, String store) throws Exception {
        return fleet.start(name, "", store, Replicas.software("software", dir.resolve("shared-backend/keys.p12"),
                dir.resolve("keystore-password")));
    }

    String jwks(Replica r) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(r.base() + "/.well-known/jwks.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    Set<String> kids(Replica r) throws Exception {
        Set<String> kids = new HashSet<>();
        JWKSet.parse(jwks(r)).getKeys().forEach(k -> kids.add(k.getKeyID()));
        return kids;
    }

    @Test
    void threeReplicasPublishOneJwksAndARotationOnOneIsPublishedByAll() throws Exception {
        List<Replica> replicas = new ArrayList<>();
        // One after another: three JVMs starting at once on a loaded 2-core machine overrun the start deadline.
        try (Replicas fleet = replicas()) {
            for (String name : List.of("az-a", "az-b", "az-c")) {
                replicas.add(start(fleet, name, ""));
            }
            Set<String> first = kids(replicas.getFirst());
            assertEquals(1, first.size(), "one bootstrap key for three replicas");
            for (Replica r : replicas) {
                assertEquals(first, kids(r), r.name());
            }

            String listed = DevModeProcessTest.cli("keys", "rotate", "--admin", replicas.get(1).admin());
            assertTrue(listed.contains("PREPARED"), listed);
            String listedElsewhere = DevModeProcessTest.cli("keys", "list", "--admin", replicas.get(2).admin());
            assertTrue(listedElsewhere.contains("replica: az-c") && listedElsewhere.contains("store: postgres")
                    && listedElsewhere.contains("written by az-b"), listedElsewhere);
            // The check interval is 30 s; the change notification brings it well before this deadline.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!replicas.stream().allMatch(r -> {
                try {
                    return kids(r).size() == 2;
                } catch (Exception e) {
                    return false;
                }
            })) {
                assertTrue(System.nanoTime() < deadline, "the rotation on az-b is not published by all");
                Thread.sleep(50);
            }
            Set<String> after = kids(replicas.getFirst());
            for (Replica r : replicas) {
                assertEquals(after, kids(r), r.name());
            }

            for (Replica signer : replicas) {
                HttpResponse<String> res = DevModeProcessTest.mint(http, signer.base());
                assertEquals(201, res.statusCode(), res.body());
                String token = (String) JSONObjectUtils.parse(res.body()).get("token");
                String kid = SignedJWT.parse(token).getHeader().getKeyID();
                for (Replica verifier : replicas) {
                    assertTrue(JwsVerification.verifies(token, JWKSet.parse(jwks(verifier)).getKeyByKeyId(kid)),
                            signer.name() + "'s token against " + verifier.name() + "'s JWKS");
                }
            }
        }
    }

    /**
     * A replica killed -9 that never returns: a survivor adopts its status lists once it has been unseen for
     * {@code adopt-after}, and a task rule made there revokes the dead replica's tokens in the list it serves.
     */
    @Test
    void aKilledReplicasTokensAreRevokedByARuleOnTheSurvivorThatAdoptsItsLists() throws Exception {
        try (Replicas fleet = replicas()) {
            PostgresCluster pg = fleet.db().pg();
            String url = fleet.db().url();
            Replica a = start(fleet, "az-a", "    adopt-after: 3");
            Replica b = start(fleet, "az-b", "    adopt-after: 3");
            List<Map<String, Object>> incident = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                incident.add(status(mint(a, "incident-7")));
            }
            Map<String, Object> other = status(mint(a, "routine"));
            Instant minted = Instant.now();
            // A writes its facts to PostgreSQL at each status sync: wait for one that started after the last
            // mint to have finished (the one after it has started), then kill -9.
            Instant s1 = awaitSeen(url, pg, "az-a", minted);
            awaitSeen(url, pg, "az-a", s1);
            a.kill();

            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(b.admin() + "/v1/revocations"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"incident-7\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, r.statusCode(), r.body());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // adoption: 3 s + a sync or two
            while (!incident.stream().allMatch(t -> bit(b, t))) {
                assertTrue(System.nanoTime() < deadline, "az-b does not serve az-a's task tokens as revoked");
                Thread.sleep(100);
            }
            assertFalse(bit(b, other), "a token of another task is not revoked");
        }
    }

    HttpResponse<String> mint(Replica r, String task) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(r.base() + "/v1/tokens"))
                .header("Authorization", "Bearer " + MINTER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\","
                        + "\"ttl\":600,\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}],"
                        + "\"task\":\"" + task + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, res.statusCode(), res.body());
        return res;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> status(HttpResponse<String> minted) throws Exception {
        SignedJWT jwt = SignedJWT.parse((String) JSONObjectUtils.parse(minted.body()).get("token"));
        return (Map<String, Object>) jwt.getJWTClaimsSet().getJSONObjectClaim("status").get("status_list");
    }

    /** Whether {@code r} serves the token's bit as set (the list decoded as the draft says: base64url, zlib). */
    @SuppressWarnings("unchecked")
    boolean bit(Replica r, Map<String, Object> status) {
        try {
            String path = URI.create((String) status.get("uri")).getRawPath();
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(r.base() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                return false;
            }
            Map<String, Object> list = (Map<String, Object>) SignedJWT.parse(res.body()).getJWTClaimsSet()
                    .getJSONObjectClaim("status_list");
            java.util.zip.Inflater inflater = new java.util.zip.Inflater();
            inflater.setInput(java.util.Base64.getUrlDecoder().decode((String) list.get("lst")));
            byte[] bits = new byte[1 << 17];
            inflater.inflate(bits);
            inflater.end();
            int idx = ((Number) status.get("idx")).intValue();
            return (bits[idx >> 3] >> (idx & 7) & 1) == 1;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Polls until {@code replica}'s status heartbeat is later than {@code after}; returns it. */
    static Instant awaitSeen(String url, PostgresCluster pg, String replica, Instant after) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(url, pg.properties());
                 PreparedStatement s = c.prepareStatement(
                         "SELECT seen_at FROM signet.status_replica WHERE replica_id = ? AND seen_at > ?")) {
                s.setString(1, replica);
                s.setTimestamp(2, Timestamp.from(after));
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        return r.getTimestamp(1).toInstant();
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, replica + " has not synced its status lists since " + after);
            Thread.sleep(100);
        }
    }
}
