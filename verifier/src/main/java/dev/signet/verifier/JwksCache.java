package dev.signet.verifier;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The issuer's JWKS fetched over HTTP and kept as long as its {@code Cache-Control: max-age} says (a default
 * when it says nothing; never when it says {@code no-store} or {@code no-cache}). An unknown {@code kid} triggers
 * one refetch, at most once per {@code cooldown}, so a stream of forged kids cannot turn every request into a
 * fetch. While a refetch fails, the cached keys stay in use until they expire.
 */
public final class JwksCache implements KeySource {

    private static final Pattern MAX_AGE = Pattern.compile("(?:^|,)\\s*max-age\\s*=\\s*(\\d{1,9})\\s*(?:,|$)");

    private final URI uri;
    private final HttpClient http;
    private final Clock clock;
    private final Duration defaultMaxAge;
    private final Duration cooldown;

    private JWKSet keys = new JWKSet();
    private Instant expires = Instant.MIN;
    private Instant lastFetch = Instant.MIN;
    private int fetchCount;

    /**
     * @param defaultMaxAge how long to keep a JWKS that comes without {@code max-age}
     * @param cooldown      the least time between two fetches triggered by unknown kids
     */
    public JwksCache(URI uri, HttpClient http, Clock clock, Duration defaultMaxAge, Duration cooldown) {
        this.uri = uri;
        this.http = http;
        this.clock = clock;
        this.defaultMaxAge = defaultMaxAge;
        this.cooldown = cooldown;
    }

    @Override
    public synchronized JWK key(String kid) {
        Instant now = clock.instant();
        if (!now.isBefore(expires)) {
            fetch(now);
        }
        JWK key = keys.getKeyByKeyId(kid);
        if (key == null && !now.isBefore(lastFetch.plus(cooldown))) {
            fetch(now);
            key = keys.getKeyByKeyId(kid);
        }
        return key;
    }

    /** How many times the JWKS was fetched; for tests and metrics. */
    public synchronized int fetches() {
        return fetchCount;
    }

    private void fetch(Instant now) {
        lastFetch = now;
        fetchCount++;
        HttpResponse<String> res;
        try {
            res = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return; // keep what we have until it expires
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (res.statusCode() != 200) {
            return;
        }
        try {
            keys = JWKSet.parse(res.body()).toPublicJWKSet();
        } catch (ParseException e) {
            return;
        }
        expires = now.plus(maxAge(res.headers().firstValue("Cache-Control")));
    }

    Duration maxAge(Optional<String> cacheControl) {
        if (cacheControl.isEmpty()) {
            return defaultMaxAge;
        }
        String cc = cacheControl.get().toLowerCase(Locale.ROOT);
        if (cc.contains("no-store") || cc.contains("no-cache")) {
            return Duration.ZERO;
        }
        Matcher m = MAX_AGE.matcher(cc);
        return m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : defaultMaxAge;
    }
}
