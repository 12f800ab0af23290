package dev.signet.kms;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The tunable part of {@code backend.*} for {@code type: kms}; connection and credential settings are read by
 * {@link KmsKeyBackendProvider}. Defaults are in {@code kms/README.md}.
 *
 * @param algorithms            what {@code generate} offers; default all four
 * @param maxRequestsPerSecond  client-side budget for all KMS requests of this replica
 * @param callTimeout           deadline of one KMS request (SDK apiCallTimeout and apiCallAttemptTimeout)
 * @param maxAttempts           tries per request when KMS throttles
 * @param breakerFailures       consecutive outage failures that open the circuit
 * @param breakerCoolDown       how long the open circuit fails fast before a probe
 * @param deletionWindowDays    ScheduleKeyDeletion pending window, 7 to 30
 * @param verifySignatures      verify every KMS signature locally before returning it
 * @param reconcileOnOpen       run {@link KmsKeyBackend#reconcile()} when the backend opens
 * @param orphanGrace           how old an alias-less tagged key must be before reconcile deletes it
 * @param keyCheckInterval      how often the state of every loaded key is asked of KMS (DescribeKey)
 */
record KmsOptions(Set<SigningAlgorithm> algorithms, double maxRequestsPerSecond, Duration callTimeout,
                  int maxAttempts, int breakerFailures, Duration breakerCoolDown, int deletionWindowDays,
                  boolean verifySignatures, boolean reconcileOnOpen, Duration orphanGrace,
                  Duration keyCheckInterval) {

    static final Set<SigningAlgorithm> KMS_ALGORITHMS = EnumSet.allOf(SigningAlgorithm.class);

    KmsOptions {
        algorithms = Set.copyOf(algorithms);
        if (algorithms.isEmpty() || !(maxRequestsPerSecond > 0) || !callTimeout.isPositive() || maxAttempts < 1
                || breakerFailures < 1 || !breakerCoolDown.isPositive() || orphanGrace.isNegative()
                || !keyCheckInterval.isPositive()) {
            throw invalid("algorithms must not be empty; rates, timeouts and counts must be positive");
        }
        if (deletionWindowDays < 7 || deletionWindowDays > 30) {
            throw invalid("backend.deletion-window-days must be 7 to 30 (the KMS limits), got " + deletionWindowDays);
        }
    }

    static KmsOptions defaults() {
        return new KmsOptions(KMS_ALGORITHMS, 100, Duration.ofSeconds(2), 3, 5, Duration.ofSeconds(10), 7,
                true, true, Duration.ofMinutes(15), Duration.ofSeconds(30));
    }

    /** @throws SignetException INVALID_ARGUMENT naming the first malformed setting */
    static KmsOptions from(BackendSettings s) {
        KmsOptions d = defaults();
        return new KmsOptions(
                s.get("algorithms").map(KmsOptions::algorithms).orElse(d.algorithms()),
                s.get("max-requests-per-second").map(v -> number("max-requests-per-second", v))
                        .orElse(d.maxRequestsPerSecond()),
                s.get("call-timeout").map(v -> duration("call-timeout", v)).orElse(d.callTimeout()),
                s.get("max-attempts").map(v -> (int) number("max-attempts", v)).orElse(d.maxAttempts()),
                s.get("breaker-failures").map(v -> (int) number("breaker-failures", v)).orElse(d.breakerFailures()),
                s.get("breaker-cool-down").map(v -> duration("breaker-cool-down", v)).orElse(d.breakerCoolDown()),
                s.get("deletion-window-days").map(v -> (int) number("deletion-window-days", v))
                        .orElse(d.deletionWindowDays()),
                s.get("verify-signatures").map(v -> bool("verify-signatures", v)).orElse(d.verifySignatures()),
                s.get("reconcile-on-open").map(v -> bool("reconcile-on-open", v)).orElse(d.reconcileOnOpen()),
                s.get("orphan-grace").map(v -> duration("orphan-grace", v)).orElse(d.orphanGrace()),
                s.get("key-check-interval").map(v -> duration("key-check-interval", v)).orElse(d.keyCheckInterval()));
    }

    private static Set<SigningAlgorithm> algorithms(String list) {
        EnumSet<SigningAlgorithm> set = EnumSet.noneOf(SigningAlgorithm.class);
        Arrays.stream(list.split(",")).map(String::strip).filter(a -> !a.isEmpty())
                .forEach(a -> set.add(SigningAlgorithm.parse(a)));
        return set;
    }

    private static double number(String key, String v) {
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw invalid("backend." + key + " must be a number, got '" + v + "'");
        }
    }

    private static boolean bool(String key, String v) {
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid("backend." + key + " must be true or false, got '" + v + "'");
        };
    }

    /** Accepts {@code 500ms}, {@code 2s}, {@code 15m}, {@code 1h} or ISO-8601 ({@code PT2S}). */
    static Duration duration(String key, String v) {
        String t = v.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw invalid("backend." + key + " has an unknown unit: '" + v + "'");
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw invalid("backend." + key + " must be a duration like 2s, 500ms or PT2S, got '" + v + "'");
        }
    }

    private static SignetException invalid(String message) {
        return new SignetException(SignetException.Code.INVALID_ARGUMENT, message);
    }
}
