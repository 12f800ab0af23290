package dev.signet.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The key timeline page's browser sessions: a random 256-bit id in an HttpOnly cookie, kept here only as its
 * SHA-256 (a leaked heap dump holds no usable session), looked up by that hash and compared in constant time.
 * They live a short fixed time and end at logout; they open the read-only page only, never the admin API.
 * Failed logins are counted per source: after {@value #MAX_FAILURES} within {@link #LOCKOUT} the source waits.
 */
final class UiSessions {

    static final Duration LIFETIME = Duration.ofMinutes(15);
    static final Duration LOCKOUT = Duration.ofMinutes(1);
    static final int MAX_FAILURES = 10;
    /** Bounds memory whatever logs in: the oldest session gives way. */
    private static final int MAX_SESSIONS = 64;
    private static final int MAX_SOURCES = 1024;

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new HashMap<>();
    private final Map<String, Failures> failures = new HashMap<>();

    private record Session(byte[] hash, Instant expires) {
    }

    private record Failures(int count, Instant since) {
    }

    UiSessions(Clock clock) {
        this.clock = clock;
    }

    /** Starts a session; the returned id goes into the cookie and nowhere else. */
    synchronized String open() {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> !now.isBefore(s.expires()));
        if (sessions.size() >= MAX_SESSIONS) {
            sessions.entrySet().stream().min(Map.Entry.comparingByValue(
                    java.util.Comparator.comparing(Session::expires)))
                    .ifPresent(oldest -> sessions.remove(oldest.getKey()));
        }
        byte[] id = new byte[32];
        random.nextBytes(id);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        byte[] hash = sha256(text);
        sessions.put(Base64.getEncoder().encodeToString(hash), new Session(hash, now.plus(LIFETIME)));
        return text;
    }

    /** True while {@code id} names a session that has not expired or been closed. */
    synchronized boolean valid(String id) {
        if (id == null || id.isEmpty() || id.length() > 100) {
            return false;
        }
        byte[] hash = sha256(id);
        String key = Base64.getEncoder().encodeToString(hash);
        Session s = sessions.get(key);
        if (s == null || !MessageDigest.isEqual(s.hash(), hash)) {
            return false;
        }
        if (!clock.instant().isBefore(s.expires())) {
            sessions.remove(key);
            return false;
        }
        return true;
    }

    synchronized void close(String id) {
        if (id != null && id.length() <= 100) {
            sessions.remove(Base64.getEncoder().encodeToString(sha256(id)));
        }
    }

    /** How long {@code source} must wait before it may try again, or zero. */
    synchronized Duration lockedFor(String source) {
        Failures f = failures.get(source);
        if (f == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(clock.instant(), f.since().plus(LOCKOUT));
        if (!left.isPositive()) {
            failures.remove(source);
            return Duration.ZERO;
        }
        return f.count() >= MAX_FAILURES ? left : Duration.ZERO;
    }

    synchronized void failed(String source) {
        Instant now = clock.instant();
        if (failures.size() >= MAX_SOURCES) {
            failures.values().removeIf(f -> !now.isBefore(f.since().plus(LOCKOUT)));
        }
        if (failures.size() >= MAX_SOURCES && !failures.containsKey(source)) {
            return; // a flood of sources: the per-source count stops, the credential check stays
        }
        failures.merge(source, new Failures(1, now), (old, one) -> new Failures(old.count() + 1, old.since()));
    }

    synchronized void succeeded(String source) {
        failures.remove(source);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "UiSessions[" + sessions.size() + " open]";
    }
}
