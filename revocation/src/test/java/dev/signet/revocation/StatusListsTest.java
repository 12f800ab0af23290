package dev.signet.revocation;

import dev.signet.software.InMemorySigning;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusListsTest {

    static final SigningKey KEY = InMemorySigning.generate(SigningAlgorithm.ES256);
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T10:00:00Z"));
    int signatures;

    StatusLists open(Path d) {
        return new StatusLists("https://iss", "r1", d, StatusLists.Settings.defaults(Duration.ofHours(1)), clock,
                () -> {
                    signatures++;
                    return KEY;
                });
    }

    static String jti() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    StatusLists.Token token(String jti, String task, String parent) {
        return new StatusLists.Token(jti, clock.instant().plusSeconds(600), task, "sub", "m", parent);
    }

    @Test
    void revokingARootRevokesItsExchangedDescendantsTransitively() {
        StatusLists s = open(dir);
        String root = jti();
        String child = jti();
        String grandchild = jti();
        String other = jti();
        StatusRef r = s.allocate(token(root, "t", null));
        StatusRef c = s.allocate(token(child, "t", root));
        StatusRef g = s.allocate(token(grandchild, "t", child));
        StatusRef o = s.allocate(token(other, "t", null));
        assertEquals(3, s.revoke(StatusLists.Kind.JTI, root, null).covered());
        assertTrue(s.isRevoked(r.uri(), r.idx()) && s.isRevoked(c.uri(), c.idx()) && s.isRevoked(g.uri(), g.idx()));
        assertFalse(s.isRevoked(o.uri(), o.idx()));
        assertThrows(SignetException.class, () -> s.checkMinting("m", "sub", "t", root));
    }

    @Test
    void restartResumesAfterTheReservedBlockAndKeepsBitsAndRules() throws Exception {
        StatusLists s = open(dir);
        String a = jti();
        StatusRef ra = s.allocate(token(a, "t", null));
        s.revoke(StatusLists.Kind.TASK, "t", "done");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("revocations.jsonl"))));
        StatusLists again = open(dir);
        assertTrue(again.isRevoked(ra.uri(), ra.idx()));
        StatusRef next = again.allocate(token(jti(), "u", null));
        assertEquals(ra.list(), next.list());
        assertEquals(StatusLists.RESERVE, next.idx(), "the rest of the block handed out before the restart is skipped");
        assertThrows(SignetException.class, () -> again.checkMinting("m", "x", "t", null), "the task rule survives");
    }

    @Test
    void aListIsSignedOncePerChangeAtABoundedRateAndUnpublishedAfterItsTokensExpire() {
        StatusLists s = open(null);
        String a = jti();
        StatusRef ra = s.allocate(token(a, "t", null));
        s.allocate(token(jti(), "u", null));
        byte[] first = s.served(ra.list()).orElseThrow().body();
        assertArrayEquals(first, s.served(ra.list()).orElseThrow().body());
        assertEquals(1, signatures, "no change, no signature");
        s.revoke(StatusLists.Kind.JTI, a, null);
        assertArrayEquals(first, s.served(ra.list()).orElseThrow().body(), "within a second of the last signature");
        clock.advance(Duration.ofSeconds(1));
        assertNotEquals(new String(first), new String(s.served(ra.list()).orElseThrow().body()));
        assertEquals(2, signatures);
        clock.advance(Duration.ofHours(2));
        assertTrue(s.served(ra.list()).isEmpty(), "window (1 h) + max lifetime (1 h) later no token points to it");
        assertTrue(s.published().isEmpty());
    }

    @Test
    void badRulesAreRefusedWithTheirCode() {
        StatusLists s = open(null);
        String a = new StatusLists.Token(jti(), clock.instant().plusSeconds(5), null, "s", "m", null).jti();
        s.allocate(new StatusLists.Token(a, clock.instant().plusSeconds(5), null, "s", "m", null));
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.TASK, " ", null)).code());
        assertEquals(SignetException.Code.INVALID_ARGUMENT,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, "x", null)).code());
        assertEquals(SignetException.Code.NOT_FOUND,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, jti(), null)).code());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(SignetException.Code.FAILED_PRECONDITION,
                assertThrows(SignetException.class, () -> s.revoke(StatusLists.Kind.JTI, a, null)).code());
    }
}
