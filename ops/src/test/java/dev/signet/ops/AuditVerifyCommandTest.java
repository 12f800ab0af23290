package dev.signet.ops;

import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditLog;
import dev.signet.audit.CheckpointKeys;
import dev.signet.issuance.CredentialHash;
import dev.signet.rotation.ReplicaId;
import dev.signet.software.InMemorySigning;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.store.postgres.PostgresAuditHeads;
import dev.signet.store.postgres.PostgresStore;
import dev.signet.store.postgres.testing.PostgresCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code signet audit verify DIR [--heads-from CONFIG]} as an operator runs it: a replica's log, its checkpoint
 * heads in a real PostgreSQL that a configuration file names, then the log's tail cut together with its last
 * checkpoints, which only the heads kept outside the log reveal.
 */
class AuditVerifyCommandTest {

    static final String ISSUER = "https://signet.example.com";

    @TempDir
    Path dir;

    static AuditVerifyCommandTest.Out verify(String... args) {
        AttenuateCommandTest.Out o = AttenuateCommandTest.run(AuditCommand::run, args);
        return new Out(o.exit(), o.stdout());
    }

    record Out(int exit, String stdout) {
    }

    Path config(String name, String store) throws Exception {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                signet:
                  issuer: "%s"
                  data-dir: "%s"
                  admin:
                    credential-hash: "%s"
                  store:
                %s
                  backend:
                    type: software
                    keystore: "%s"
                    password-file: "%s"
                  minters:
                %s
                """.formatted(ISSUER, dir.resolve("data"), CredentialHash.of("admin-credential-0123456789abcdef").text(), store, dir.resolve("keys.p12"), dir.resolve("keystore-password"),
                Replicas.agentMinter()));
        return file;
    }

    @Test
    void theHeadsFromTheStoreTheConfigurationNamesRevealATailCutWithItsCheckpoints() throws Exception {
        PostgresDatabase database = PostgresDatabase.create(dir);
        PostgresCluster pg = database.pg();
        String url = database.url();
        Path postgres = config("postgres", database.storeYaml());

        SigningKey key = InMemorySigning.generate(SigningAlgorithm.ES256);
        CheckpointKeys keys = new CheckpointKeys() {
            public SigningKey current() {
                return key;
            }

            public Optional<SigningKey> find(String kid) {
                return kid.equals(key.id()) ? Optional.of(key) : Optional.empty();
            }
        };
        Path log = dir.resolve("audit/r1");
        List<AuditLog.Head> heads = new ArrayList<>();
        try (AuditLog audit = AuditLog.open(AuditLog.Options.defaults(log, "r1").withCheckpoints(3, Duration.ofHours(1)),
                keys, Clock.systemUTC())) {
            audit.onCheckpoint(heads::add);
            for (int i = 0; i < 10; i++) {
                audit.append(AuditEvent.of("token").put("jti", "jti-" + i).put("sub", "agent-1").build()).await();
            }
        }
        assertTrue(heads.size() >= 3, "checkpoints every 3 records: " + heads);
        AuditLog.Head last = heads.getLast();
        try (PostgresStore db = PostgresStore.open(new PostgresStore.Settings(url, pg.user(), pg.password(),
                new ReplicaId("r1")))) {
            db.journal(ISSUER).auditHeads().write(new PostgresAuditHeads.Head(last.replica(), last.seq(), last.head(),
                    last.time(), last.jws()));
        }

        Out whole = verify("verify", log.toString(), "--heads-from", postgres.toString());
        assertEquals(0, whole.exit(), whole.stdout());
        assertTrue(whole.stdout().startsWith("OK"), whole.stdout());
        assertTrue(whole.stdout().contains("latest checkpoint head for replica r1 (seq " + last.seq()), whole.stdout());

        // Cut the log after the last-but-one checkpoint's next record: the last checkpoints go with the tail.
        Path segment;
        try (var files = Files.list(log)) {
            segment = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().reduce((x, y) -> y)
                    .orElseThrow();
        }
        List<String> lines = Files.readAllLines(segment);
        List<Integer> checkpoints = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("\"type\":\"checkpoint\"")) {
                checkpoints.add(i);
            }
        }
        int keep = checkpoints.get(checkpoints.size() - 2) + 2;
        Files.writeString(segment, String.join("\n", lines.subList(0, keep)) + "\n");

        Out alone = verify("verify", log.toString());
        assertEquals(0, alone.exit(), "the log alone cannot tell the cut from a torn tail: " + alone.stdout());
        assertTrue(alone.stdout().contains("are unanchored"), alone.stdout());
        Out anchored = verify("verify", log.toString(), "--heads-from", postgres.toString());
        assertEquals(1, anchored.exit(), anchored.stdout());
        assertTrue(anchored.stdout().startsWith("BROKEN"), anchored.stdout());
        assertTrue(anchored.stdout().contains("is seq " + last.seq()) && anchored.stdout().contains("were cut"),
                anchored.stdout());

        // A file-store configuration has no heads to compare: refused, saying why.
        Path file = config("file", "    type: file");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> verify("verify", log.toString(), "--heads-from", file.toString()));
        assertTrue(e.getMessage().contains("signet.store.type: postgres"), e.getMessage());
    }
}
