package dev.signet.kms;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KmsOptionsTest {

    private static KmsOptions parse(Map<String, String> values) {
        return KmsOptions.from(new BackendSettings(values, Path.of("/x"), "https://i", Clock.systemUTC(), k -> null));
    }

    @Test
    void defaultsAreDocumented() {
        KmsOptions o = parse(Map.of());
        assertEquals(EnumSet.allOf(SigningAlgorithm.class), o.algorithms());
        assertEquals(Duration.ofSeconds(2), o.callTimeout());
        assertEquals(7, o.deletionWindowDays());
        assertEquals(100, o.maxRequestsPerSecond());
    }

    @Test
    void durationsAcceptShortAndIsoForms() {
        assertEquals(Duration.ofMillis(500), KmsOptions.duration("k", "500ms"));
        assertEquals(Duration.ofSeconds(2), KmsOptions.duration("k", "2s"));
        assertEquals(Duration.ofMinutes(15), KmsOptions.duration("k", "15m"));
        assertEquals(Duration.ofSeconds(3), KmsOptions.duration("k", "PT3S"));
    }

    @Test
    void malformedOrOutOfRangeSettingsAreInvalidArguments() {
        List<Map<String, String>> bad = List.of(
                Map.of("call-timeout", "soon"), Map.of("call-timeout", "0s"), Map.of("deletion-window-days", "31"),
                Map.of("max-requests-per-second", "-1"), Map.of("algorithms", "HS256"),
                Map.of("verify-signatures", "yes"), Map.of("max-attempts", "0"));
        for (Map<String, String> m : bad) {
            assertEquals(SignetException.Code.INVALID_ARGUMENT,
                    assertThrows(SignetException.class, () -> parse(m), m.toString()).code());
        }
    }
}
