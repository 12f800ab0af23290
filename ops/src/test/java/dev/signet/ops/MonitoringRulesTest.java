package dev.signet.ops;

import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ops/monitoring's alert rules are valid for Prometheus and fire on the series they are written for. */
class MonitoringRulesTest {

    static final Path MONITORING = Path.of("monitoring");

    static String promtool(String... args) throws IOException, InterruptedException {
        RealBackends.require(onPath("promtool"), "promtool", "apt-get install prometheus");
        List<String> cmd = new java.util.ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(MONITORING.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void rulesPassPromtoolCheck() throws Exception {
        assertTrue(promtool("check", "rules", "signet-alerts.yml").contains("SUCCESS"));
    }

    @Test
    void alertsFireOnTheirSeries() throws Exception {
        assertTrue(promtool("test", "rules", "signet-alerts-test.yml").contains("SUCCESS"));
    }

    @Test
    void theDashboardIsJsonOverSignetMetrics() throws Exception {
        String dash = Files.readString(MONITORING.resolve("signet-dashboard.json"));
        com.google.gson.JsonParser.parseString(dash);
        assertTrue(dash.contains("signet_tokens_total") && dash.contains("signet_http_request_seconds_bucket"));
        for (String metric : List.of("signet_backend_call_seconds_bucket", "signet_backend_errors_total",
                "signet_journal_read_age_seconds", "signet_backend_circuit", "signet_subkeys")) {
            assertTrue(dash.contains(metric), "the dashboard graphs " + metric);
        }
        String rules = Files.readString(MONITORING.resolve("signet-alerts.yml"));
        assertTrue(!rules.contains("signet_tokens_issued_total") && !dash.contains("signet_tokens_issued_total"),
                "the one token counter is signet_tokens_total");
    }
}
