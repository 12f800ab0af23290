package dev.signet.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Checks a token's {@code status} claim (draft-ietf-oauth-status-list): {@code status_list: {idx, uri}} names a
 * bit in a status list token the issuer serves. Lists are fetched, checked ({@code typ statuslist+jwt}, signed
 * by a key the issuer publishes, {@code sub} = the uri, unexpired) and kept for the shorter of their {@code ttl}
 * and the response's {@code Cache-Control: max-age}, never past their {@code exp}. When a refetch fails, the
 * cached list stays in use for at most {@code maxStale} more (never past its {@code exp}); then the token is
 * refused ({@code status_unavailable}): a verifier that cannot learn a token's status fails closed.
 * A token without a {@code status} claim has no revocation entry and passes (Signet puts one in every token).
 */
public final class StatusListCache {

    public static final String TYPE = "statuslist+jwt";
    /** A list never inflates past this (2^27 one-bit entries): a zip bomb costs nothing. */
    static final int MAX_BYTES = 16 << 20;
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|,)\\s*max-age\\s*=\\s*(\\d{1,9})\\s*(?:,|$)");

    /** What a fetch of a list returned: HTTP status, body, and {@code Cache-Control} if any. */
    public record Response(int status, String body, Optional<String> cacheControl) {
    }

    /** Fetches a status list; {@link #http(HttpClient)} over HTTP, or anything else (tests, vectors). */
    @FunctionalInterface
    public interface Fetcher {
        Response fetch(URI uri) throws IOException, InterruptedException;
    }

    /** Fetches over HTTP with {@code Accept: application/statuslist+jwt} and a 10 s timeout. */
    public static Fetcher http(HttpClient client) {
        return uri -> {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .header("Accept", "application/statuslist+jwt").GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers().firstValue("Cache-Control"));
        };
    }

    private record Cached(byte[] bits, int bitsPer, Instant refresh, Instant exp) {
    }

    private final String issuer;
    private final KeySource keys;
    private final Fetcher fetcher;
    private final Clock clock;
    private final Duration defaultTtl;
    private final Duration maxStale;
    private final Map<String, Cached> lists = new HashMap<>();
    private final Map<String, Instant> retryAfter = new HashMap<>();
    private int fetchCount;

    /**
     * @param issuer     lists are fetched only under this issuer's URL (a token cannot send the verifier elsewhere)
     * @param keys       the issuer's published keys (the same {@link JwksCache} the tokens are verified with)
     * @param defaultTtl how long a list without {@code ttl} and {@code max-age} is kept
     * @param maxStale   how long past its refresh time a list stays in use while refetching fails
     */
    public StatusListCache(String issuer, KeySource keys, Fetcher fetcher, Clock clock, Duration defaultTtl,
                           Duration maxStale) {
        this.issuer = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        this.keys = keys;
        this.fetcher = fetcher;
        this.clock = clock;
        this.defaultTtl = defaultTtl;
        this.maxStale = maxStale;
    }

    /**
     * Refuses a verified token whose status entry is set (revoked, suspended, or any non-zero status).
     *
     * @throws Rejected {@code revoked}; {@code status_unavailable} when its list cannot be fetched or trusted;
     *                  {@code bad_status} for a malformed claim, a uri outside the issuer or an index past the list
     */
    public void check(VerifiedToken token) {
        check(token.claims());
    }

    /** {@link #check(VerifiedToken)} on a claims set whose signature and issuer the caller has checked. */
    public void check(JWTClaimsSet claims) {
        Object status = claims.getClaim("status");
        if (status == null) {
            return;
        }
        if (!(status instanceof Map<?, ?> m) || !(m.get("status_list") instanceof Map<?, ?> sl)
                || !(sl.get("idx") instanceof Number idx) || !(sl.get("uri") instanceof String uri)
                || idx.longValue() < 0 || idx.longValue() > Integer.MAX_VALUE) {
            throw new Rejected("bad_status", "status must be {status_list: {idx, uri}} with a non-negative idx");
        }
        if (statusOf(uri, idx.intValue()) != 0) {
            throw new Rejected("revoked", "the token's status entry is set: it has been revoked");
        }
    }

    /**
     * The status value at {@code idx} of the list at {@code uri} (0 valid, 1 revoked, 2 suspended).
     *
     * @throws Rejected {@code status_unavailable} or {@code bad_status} as {@link #check(VerifiedToken)}
     */
    public synchronized int statusOf(String uri, int idx) {
        if (!uri.startsWith(issuer + "/") || uri.contains("#")) {
            throw new Rejected("bad_status", "the status list uri is not under the issuer " + issuer);
        }
        Instant now = clock.instant();
        Cached c = lists.get(uri);
        if (c == null || !now.isBefore(c.refresh())) {
            Cached fresh = fetchIfDue(uri, now);
            if (fresh != null) {
                c = fresh;
            } else if (c == null || !now.isBefore(c.refresh().plus(maxStale)) || !now.isBefore(c.exp())) {
                lists.remove(uri);
                throw new Rejected("status_unavailable", "the status list " + uri + " cannot be fetched or trusted");
            }
        }
        long bit = (long) idx * c.bitsPer();
        if (bit / 8 >= c.bits().length) {
            throw new Rejected("bad_status", "idx " + idx + " is past the end of the status list");
        }
        return (c.bits()[(int) (bit / 8)] >> (bit % 8)) & ((1 << c.bitsPer()) - 1);
    }

    /** How many times a list was fetched; for tests and metrics. */
    public synchronized int fetches() {
        return fetchCount;
    }

    /** A fetched and checked list, or null when fetching failed (or is paused a second after a failure). */
    private Cached fetchIfDue(String uri, Instant now) {
        Instant retry = retryAfter.get(uri);
        if (retry != null && now.isBefore(retry)) {
            return null;
        }
        fetchCount++;
        Cached c;
        try {
            c = parse(uri, fetcher.fetch(URI.create(uri)), now);
        } catch (IOException | IllegalArgumentException e) {
            c = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c = null;
        }
        if (c == null) {
            retryAfter.put(uri, now.plusSeconds(1));
            return null;
        }
        retryAfter.remove(uri);
        lists.put(uri, c);
        return c;
    }

    private Cached parse(String uri, Response r, Instant now) {
        if (r.status() != 200 || r.body() == null) {
            return null;
        }
        try {
            SignedJWT jwt = Signatures.parseJwt(r.body().strip());
            if (!new JOSEObjectType(TYPE).equals(jwt.getHeader().getType())) {
                return null;
            }
            String kid = jwt.getHeader().getKeyID();
            JWK key = kid == null ? null : keys.key(kid);
            if (key == null) {
                return null;
            }
            Signatures.verify(jwt, key, "the status list");
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            if (!uri.equals(claims.getSubject()) || claims.getIssueTime() == null) {
                return null;
            }
            Instant exp = claims.getExpirationTime() == null ? Instant.MAX : claims.getExpirationTime().toInstant();
            if (!now.isBefore(exp)) {
                return null;
            }
            Map<String, Object> sl = claims.getJSONObjectClaim("status_list");
            if (sl == null || !(sl.get("bits") instanceof Number bits) || !(sl.get("lst") instanceof String lst)) {
                return null;
            }
            int bitsPer = bits.intValue();
            if (bitsPer != 1 && bitsPer != 2 && bitsPer != 4 && bitsPer != 8) {
                return null;
            }
            Duration keep = claims.getLongClaim("ttl") == null ? defaultTtl
                    : Duration.ofSeconds(Math.max(0, claims.getLongClaim("ttl")));
            Duration maxAge = maxAge(r.cacheControl());
            if (maxAge != null && maxAge.compareTo(keep) < 0) {
                keep = maxAge;
            }
            Instant refresh = now.plus(keep);
            return new Cached(inflate(Base64.getUrlDecoder().decode(lst)), bitsPer,
                    refresh.isAfter(exp) ? exp : refresh, exp);
        } catch (ParseException | Rejected | DataFormatException | ClassCastException e) {
            return null;
        }
    }

    private static Duration maxAge(Optional<String> cacheControl) {
        if (cacheControl.isEmpty()) {
            return null;
        }
        String cc = cacheControl.get().toLowerCase(Locale.ROOT);
        if (cc.contains("no-store") || cc.contains("no-cache")) {
            return Duration.ZERO;
        }
        Matcher m = MAX_AGE.matcher(cc);
        return m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : null;
    }

    private static byte[] inflate(byte[] z) throws DataFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(z);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("truncated");
                }
                out.write(buf, 0, n);
                if (out.size() > MAX_BYTES) {
                    throw new DataFormatException("too large");
                }
            }
            return out.toByteArray();
        } finally {
            inflater.end();
        }
    }
}
