package dev.signet.spi.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need a real backend (SoftHSM2, moto) call {@link #require}. In CI
 * ({@code SIGNET_TEST_REQUIRE_BACKENDS=true}, set by the build from {@code CI}) a missing backend fails
 * the test; elsewhere the test is skipped with a loud reason on stderr.
 */
public final class RealBackends {

    private RealBackends() {
    }

    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv("SIGNET_TEST_REQUIRE_BACKENDS"));
    }

    public static void require(boolean available, String what, String howToInstall) {
        if (available) {
            return;
        }
        String message = what + " is not available: " + howToInstall;
        if (required()) {
            Assertions.fail(message + " (CI requires it)");
        }
        System.err.println("*** SKIPPED: " + message + " ***");
        Assumptions.abort(message);
    }
}
