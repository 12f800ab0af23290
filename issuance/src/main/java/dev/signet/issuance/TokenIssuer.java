package dev.signet.issuance;

import dev.signet.revocation.StatusLists;
import dev.signet.revocation.StatusRef;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningKey;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes and signs task tokens as compact JWS (RFC 7515) JWTs.
 *
 * <p>Header: {@code alg}, {@code kid}, {@code typ: at+jwt} (RFC 9068 explicit typing). Claims:
 * {@code iss}, {@code sub}, {@code aud}, {@code client_id} (the minter), {@code iat}, {@code nbf},
 * {@code exp}, {@code jti} (128 random bits), {@code authorization_details} (RFC 9396, one entry of type
 * {@value #DETAIL_TYPE} per scope item), {@code task} when given, {@code cnf: {jkt}} for a bound token, and for a
 * child of a token exchange {@code act} (RFC 8693 §4.1), {@code signet_parent_jti} and {@code signet_depth}, and
 * {@code status: {status_list: {idx, uri}}} (draft-ietf-oauth-status-list) when the issuer keeps status lists, and
 * {@code signet_max_depth} on a bound token whose minter may delegate: the cap an offline verifier applies to a
 * chain of links under it (verifier {@code Chain}), since it cannot read the minter's policy.
 */
public final class TokenIssuer {

    public static final String TYPE = "at+jwt";
    public static final String DETAIL_TYPE = "signet_resource";
    /** Tokens shorter than this after clamping to the key's publication are refused rather than issued. */
    static final Duration MIN_LIFETIME = Duration.ofSeconds(1);

    private static final int MAX_CACHED_HEADERS = 64;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final String issuer;
    private final Clock clock;
    /**
     * jti sources: the default SecureRandom (NativePRNG) serialises every caller on one lock and reads
     * /dev/urandom every 32 bytes; a few DRBG instances, picked per call, do neither.
     */
    private static final SecureRandom[] RANDOMS = jtiRandoms(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    private final ConcurrentHashMap<String, String> encodedHeaders = new ConcurrentHashMap<>();

    public TokenIssuer(String issuer, Clock clock) {
        this.issuer = issuer;
        this.clock = clock;
    }

    public String issuer() {
        return issuer;
    }

    /**
     * Signs a token with {@code key}. The token's {@code exp} is {@code now + ttl}, clamped to
     * {@code keyPublishedUntil} so no token outlives the publication of the key that verifies it.
     *
     * @param minter            the minter's name, written as {@code client_id}
     * @param keyPublishedUntil the end of the key's guaranteed JWKS publication
     * @throws SignetException UNAVAILABLE if the key is too close to the end of its publication to sign
     */
    public MintedToken issue(SigningKey key, String minter, TokenRequest request, Instant keyPublishedUntil) {
        return issue(key, minter, request, keyPublishedUntil, null, null, 0);
    }

    /**
     * Where a child token sits in its delegation chain.
     *
     * @param actors    the actors, current (outermost in {@code act}) first
     * @param parentJti the {@code jti} of the token it was exchanged for
     * @param depth     1 for a child of a minted token
     * @param notAfter  the parent's {@code exp}, which the child's never passes
     */
    public record Chain(List<String> actors, String parentJti, int depth, Instant notAfter) {
        public Chain {
            actors = List.copyOf(actors);
            if (actors.isEmpty()) {
                throw new IllegalArgumentException("a child token names at least its actor");
            }
        }
    }

    /**
     * As {@link #issue(SigningKey, String, TokenRequest, Instant)}, for a child of a token exchange when
     * {@code chain} is not null, with a {@code status} claim from {@code status} when it is not null.
     *
     * @param maxDepth the minter's delegation cap, written as {@code signet_max_depth} when the token is bound;
     *                 0 when its minter may not delegate
     */
    MintedToken issue(SigningKey key, String minter, TokenRequest request, Instant keyPublishedUntil, Chain chain,
                      StatusLists status, int maxDepth) {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant exp = now.plus(request.ttl());
        if (exp.isAfter(keyPublishedUntil)) {
            exp = keyPublishedUntil;
        }
        if (chain != null && exp.isAfter(chain.notAfter())) {
            exp = chain.notAfter();
        }
        if (Duration.between(now, exp).compareTo(MIN_LIFETIME) < 0) {
            throw new SignetException(SignetException.Code.UNAVAILABLE,
                    "the signing key is at the end of its publication; retry after the next key activates",
                    Duration.ofSeconds(1), null);
        }
        byte[] id = new byte[16];
        RANDOMS[java.util.concurrent.ThreadLocalRandom.current().nextInt(RANDOMS.length)].nextBytes(id);
        String jti = B64.encodeToString(id);
        StatusRef ref = status == null ? null : status.allocate(new StatusLists.Token(jti, exp,
                request.task().orElse(null), request.subject(), minter, chain == null ? null : chain.parentJti()));

        StringBuilder claims = new StringBuilder(256 + 64 * request.scope().size()).append('{');
        Json.field(claims, "iss", issuer);
        Json.field(claims, "sub", request.subject());
        Json.field(claims, "aud", request.audience());
        Json.field(claims, "client_id", minter);
        Json.field(claims, "iat", now.getEpochSecond());
        Json.field(claims, "nbf", now.getEpochSecond());
        Json.field(claims, "exp", exp.getEpochSecond());
        Json.field(claims, "jti", jti);
        request.task().ifPresent(t -> Json.field(claims, "task", t));
        request.boundJkt().ifPresent(jkt -> {
            claims.append("\"cnf\":{");
            Json.string(claims, "jkt");
            claims.append(':');
            Json.string(claims, jkt);
            claims.append("},");
            if (maxDepth > 0) {
                Json.field(claims, "signet_max_depth", maxDepth);
            }
        });
        if (chain != null) {
            claims.append("\"act\":");
            for (String actor : chain.actors()) {
                claims.append("{\"sub\":");
                Json.string(claims, actor);
                claims.append(",\"act\":");
            }
            claims.setLength(claims.length() - ",\"act\":".length());
            claims.append("}".repeat(chain.actors().size())).append(',');
            Json.field(claims, "signet_parent_jti", chain.parentJti());
            Json.field(claims, "signet_depth", chain.depth());
        }
        if (ref != null) {
            claims.append("\"status\":").append(ref.claimJson()).append(',');
        }
        claims.append("\"authorization_details\":[");
        for (int i = 0; i < request.scope().size(); i++) {
            ScopeItem item = request.scope().get(i);
            if (i > 0) {
                claims.append(',');
            }
            claims.append('{');
            Json.field(claims, "type", DETAIL_TYPE);
            Json.field(claims, "identifier", item.resource());
            claims.append("\"actions\":[");
            for (int j = 0; j < item.actions().size(); j++) {
                if (j > 0) {
                    claims.append(',');
                }
                Json.string(claims, item.actions().get(j));
            }
            claims.append("]}");
        }
        claims.append("]}");

        if (encodedHeaders.size() > MAX_CACHED_HEADERS) {
            encodedHeaders.clear(); // keys rotate (subkeys hourly); only the current few are worth keeping
        }
        String signingInput = encodedHeaders.computeIfAbsent(key.id(), k -> header(key)) + '.'
                + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        byte[] signature = key.sign(signingInput.getBytes(StandardCharsets.US_ASCII));
        return new MintedToken(signingInput + '.' + B64.encodeToString(signature), key.id(), jti, now, exp, ref);
    }

    private static SecureRandom[] jtiRandoms(int n) {
        SecureRandom[] randoms = new SecureRandom[n];
        for (int i = 0; i < n; i++) {
            try {
                randoms[i] = SecureRandom.getInstance("DRBG"); // self-seeded from the system's entropy
            } catch (java.security.NoSuchAlgorithmException e) {
                randoms[i] = new SecureRandom();
            }
        }
        return randoms;
    }

    private static String header(SigningKey key) {
        StringBuilder h = new StringBuilder("{");
        Json.field(h, "alg", key.algorithm().jwsName());
        Json.field(h, "kid", key.id());
        Json.string(h, "typ");
        h.append(':');
        Json.string(h, TYPE);
        h.append('}');
        return B64.encodeToString(h.toString().getBytes(StandardCharsets.UTF_8));
    }
}
