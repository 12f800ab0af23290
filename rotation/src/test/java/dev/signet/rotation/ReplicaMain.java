package dev.signet.rotation;

import dev.signet.spi.SigningKey;
import dev.signet.software.SoftwareKeyBackend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * One replica process for {@link MultiProcessTest}: waits for the go file, starts a ring over the shared
 * data dir at a fixed instant (start-up applies what is due), ticks once, and prints what it serves.
 * Arguments: issuer dir, keystore file, instant, go file.
 */
public final class ReplicaMain {

    private ReplicaMain() {
    }

    public static void main(String[] args) throws Exception {
        Logger.getLogger(SoftwareKeyBackend.class.getName()).setLevel(Level.SEVERE);
        Path issuerDir = Path.of(args[0]);
        Clock clock = Clock.fixed(Instant.parse(args[2]), ZoneOffset.UTC);
        Path go = Path.of(args[3]);
        // Load every class and file before the go signal, so the replicas really reach the journal together.
        Path scratch = Files.createTempDirectory("replica-warm-up");
        new SoftwareKeyBackend(scratch.resolve("warm-up.p12"), Fixtures.PASSWORD, clock).generate(Fixtures.DAILY.algorithm());
        new SoftwareKeyBackend(Path.of(args[1]), Fixtures.PASSWORD, clock).list();
        Lifecycle.step(clock.instant(), new FileLifecycleStore(issuerDir).load(), Fixtures.DAILY);
        System.out.println("READY");
        System.out.flush();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(go)) {
            if (System.nanoTime() > deadline) {
                System.exit(2);
            }
            Thread.sleep(2);
        }
        MasterKeyRing ring = MasterKeyRing.start(new SoftwareKeyBackend(Path.of(args[1]), Fixtures.PASSWORD, clock), issuerDir,
                Fixtures.DAILY, clock);
        ring.tick();
        System.out.println("ACTIVE=" + ring.signingSlot().key().id());
        System.out.println("PUBLISHED=" + ring.published().stream().map(SigningKey::id).sorted()
                .collect(Collectors.joining(",")));
        System.out.println("VERSION=" + ring.keySet().version());
    }
}
