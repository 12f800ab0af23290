package dev.signet.api;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.signet.api.SigningApiTest.assertProblem;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resources and audiences outside the grammar get 422 over HTTP; policies outside it never load. */
class ResourceGrammarApiTest {

    @TempDir
    Path dataDir;

    @Test
    void pathAndUrlTricksAre422AndOutsidersAre403() {
        try (TestDaemon signet = new TestDaemon(dataDir)) {
            String aud = "https://alpha.example";
            assertEquals(201, signet.mint(ALPHA, request("a", aud, 60, "repo:alpha/widgets", "read")).statusCode());
            // JSON escapes: \\n is a newline in the parsed string.
            for (String resource : new String[] {"repo:alpha/../beta/secret", "repo:alpha/%2e%2e/beta",
                    "repo:alpha/x\\nrepo:beta/y", "repo:alpha//x", "repo:alpha/widget-*"}) {
                assertProblem(signet.mint(ALPHA, request("a", aud, 60, resource, "read")), 422, "resource");
            }
            for (String audience : new String[] {"https://alpha.example#x", "https://u@alpha.example",
                    "https://.alpha.example", "HTTPS://alpha.example", "https://alpha.example:443", "https://alpha.example/"}) {
                assertProblem(signet.mint(ALPHA, request("a", audience, 60, "repo:alpha/widgets", "read")), 422, "aud");
            }
            assertProblem(signet.mint(ALPHA, request("a", "https://evil.example/alpha.example", 60, "repo:alpha/x", "read")),
                    403, "audience");
            assertProblem(signet.mint(ALPHA, request("a", aud, 60, "repo:alpha/x/y", "read")), 403, "resource");
            assertProblem(signet.mint(ALPHA, request("a", aud, 60, "repo:alpha/**", "read")), 403, "resource");
        }
    }

    @Test
    void aPolicyOutsideTheGrammarStopsTheDaemonFromLoading() {
        SignetException e = assertThrows(SignetException.class,
                () -> new TestDaemon(dataDir, Map.of("signet.minters.0.resources.0", "repo:alpha/../*")));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("signet.minters.0 (alpha): a minter's policy: resource 'repo:alpha/../*'"),
                e.getMessage());
        e = assertThrows(SignetException.class,
                () -> new TestDaemon(dataDir, Map.of("signet.minters.1.audiences.0", "https://Beta.example")));
        assertTrue(e.getMessage().contains("write 'https://beta.example'"), e.getMessage());
    }
}
