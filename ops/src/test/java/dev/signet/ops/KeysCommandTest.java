package dev.signet.ops;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code signet keys}: a readable table, and one clear line when the admin socket cannot be used. */
class KeysCommandTest {

    static final Instant NOW = Instant.parse("2026-11-30T08:00:00.5Z");

    @Test
    void timesAreToTheSecondWithARelativeFormAndTheColumnsLineUp() {
        Map<String, Object> body = Map.of("backend", Map.of("type", "software", "hardware_protected", false),
                "keys", List.of(
                        Map.of("kid", "pgLeGa3-UOJITbmwYZKhf8wT2gvAGdfE5i9Zd8zylQ8", "alg", "ES256", "state", "ACTIVE",
                                "activates", "2026-11-30T05:47:28.963292075Z", "retires", "2026-12-07T07:47:28.963292075Z",
                                "unpublishes", "2026-12-07T09:22:28.963292075Z"),
                        Map.of("kid", "short", "alg", "EdDSA", "state", "PREPARED",
                                "activates", "2026-11-30T08:00:42.1Z")));
        String table = KeysCommand.table(body, NOW);
        List<String> lines = table.lines().toList();
        assertEquals("backend: software (NOT hardware-protected)", lines.get(0));
        assertFalse(table.contains(".963"), "no fractions of a second: " + table);
        assertTrue(lines.get(2).contains("2026-11-30T05:47:28Z  2h 12m ago"), table);
        assertTrue(lines.get(2).contains("2026-12-07T07:47:28Z  in 6d 23h"), table);
        assertTrue(lines.get(3).contains("2026-11-30T08:00:42Z  in 42s"), table);
        for (String column : List.of("ALG", "STATE", "ACTIVATES", "RETIRES", "UNPUBLISHES")) {
            int at = lines.get(1).indexOf(column);
            assertTrue(at > 0);
            for (String row : lines.subList(2, lines.size())) {
                assertTrue(row.length() > at && row.charAt(at - 1) == ' ' && row.charAt(at) != ' ',
                        column + " starts at column " + at + " in every row:\n" + table);
            }
        }
    }

    @Test
    void relativeTimesShowTheTwoLargestUnits() {
        assertEquals("in 6d 23h", KeysCommand.relative(Duration.ofDays(7).minusMinutes(30)));
        assertEquals("2h ago", KeysCommand.relative(Duration.ofHours(-2).minusSeconds(59)));
        assertEquals("in 1h 5m", KeysCommand.relative(Duration.ofMinutes(65)));
        assertEquals("in 3d", KeysCommand.relative(Duration.ofDays(3).plusMinutes(59)));
        assertEquals("in 42s", KeysCommand.relative(Duration.ofSeconds(42)));
        assertEquals("now", KeysCommand.relative(Duration.ZERO));
    }

    @Test
    void aDaemonThatIsNotRunningIsOneClearLine() throws Exception {
        Result r = cli("keys", "list", "--admin", "http://127.0.0.1:" + DevModeProcessTest.freePort());
        assertTrue(r.exit() != 0, r.output());
        assertEquals(1, r.output().strip().lines().count(), r.output());
        assertTrue(r.output().contains("cannot reach the admin socket at http://127.0.0.1:")
                && r.output().contains("connection refused") && !r.output().contains("null"), r.output());
    }

    @Test
    void anAdminAddressThatIsNotAUrlIsOneClearLine() throws Exception {
        Result r = cli("keys", "list", "--admin", "notaurl");
        assertTrue(r.exit() != 0, r.output());
        assertEquals(1, r.output().strip().lines().count(), r.output());
        assertTrue(r.output().contains("--admin takes the admin socket's base URL, e.g. http://127.0.0.1:9090, not 'notaurl'"),
                r.output());
        assertFalse(r.output().contains("Exception") || r.output().contains("\tat "), r.output());
    }

    record Result(int exit, String output) {
    }

    static Result cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Signet.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SIGNET_ADMIN_TOKEN", "any-admin-credential");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }
}
