package dev.signet.api;

import dev.signet.rotation.KeyRing;
import dev.signet.rotation.LifecycleStore;
import dev.signet.rotation.MasterKeyRing;
import dev.signet.rotation.ReplicaId;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.SignetException;
import dev.signet.store.postgres.PostgresLifecycleStore;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.SetCookie;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code /ui} on the admin socket: the key timeline, read-only. Browsers log in with the admin credential through a
 * form and get a short session cookie (HttpOnly, SameSite=Strict, Secure under TLS); scripts send the credential as
 * {@code Authorization: Bearer}. The cookie opens this page only: the admin API never reads it, so no state change
 * can ride on it. A configured admin client certificate is required on every request either way.
 */
final class KeyTimelinePage implements HttpService {

    static final String COOKIE = "signet_ui";
    private static final int MAX_FORM_BYTES = 1024;
    /** Enough to see a rotation's lead and the retired keys' retention around now. */
    private static final String DEFAULT_SPAN = "1d";

    private final AdminAuthentication admins;
    private final UiSessions sessions;
    private final String issuer;
    private final ReplicaId replica;
    private final LifecycleStore store;
    private final KeyRing keyRing;
    private final MasterKeyRing masters;
    private final KeyBackend backend;
    private final IssuanceWindow issuance;
    private final ReadDeadlines deadlines;
    private final Clock clock;

    KeyTimelinePage(AdminAuthentication admins, UiSessions sessions, String issuer, ReplicaId replica,
                    LifecycleStore store, KeyRing keyRing, MasterKeyRing masters, KeyBackend backend,
                    IssuanceWindow issuance, ReadDeadlines deadlines, Clock clock) {
        this.admins = admins;
        this.sessions = sessions;
        this.issuer = issuer;
        this.replica = replica;
        this.store = store;
        this.keyRing = keyRing;
        this.masters = masters;
        this.backend = backend;
        this.issuance = issuance;
        this.deadlines = deadlines;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::page)
                .post("/login", this::login)
                .post("/logout", this::logout)
                .any("/", Problems.methodNotAllowed("GET"))
                .any("/login", Problems.methodNotAllowed("POST"))
                .any("/logout", Problems.methodNotAllowed("POST"));
    }

    private void page(ServerRequest req, ServerResponse res) {
        boolean bySession = false;
        if (RequestBodies.bearer(req) != null || !admins.needsCredential()) {
            admins.check(req); // a script's wrong credential gets the API's problem+json 401
        } else if (sessions.valid(cookie(req))) {
            admins.checkCertificate(req);
            bySession = true;
        } else {
            html(res, Status.OK_200, KeyTimelineHtml.login(issuer, null));
            return;
        }
        String span = req.query().first("span").orElse(DEFAULT_SPAN);
        html(res, Status.OK_200, KeyTimelineHtml.page(snapshot(bySession,
                KeyTimelineHtml.SPANS.containsKey(span) ? span : DEFAULT_SPAN)));
    }

    private void login(ServerRequest req, ServerResponse res) {
        String source = req.remotePeer().host();
        Duration locked = sessions.lockedFor(source);
        if (locked.isPositive()) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(Math.max(1, locked.toSeconds())));
            html(res, Status.TOO_MANY_REQUESTS_429, KeyTimelineHtml.login(issuer,
                    "Too many failed logins from this address; try again in " + KeyTimelineHtml.human(locked) + "."));
            return;
        }
        String presented = credential(req);
        try {
            admins.checkCredential(presented);
            admins.checkCertificate(req);
        } catch (SignetException e) {
            sessions.failed(source);
            html(res, Status.UNAUTHORIZED_401, KeyTimelineHtml.login(issuer, "Login failed."));
            return;
        }
        sessions.succeeded(source);
        res.headers().addCookie(cookie(req, sessions.open(), UiSessions.LIFETIME));
        res.header(HeaderNames.LOCATION, "/ui");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.status(Status.SEE_OTHER_303).send();
    }

    private void logout(ServerRequest req, ServerResponse res) {
        sessions.close(cookie(req));
        // Helidon leaves out Max-Age=0; an Expires in the past deletes the cookie as well.
        res.headers().addCookie(SetCookie.builder(cookie(req, "", Duration.ofSeconds(1))).maxAge(null)
                .expires(Instant.EPOCH).build());
        res.header(HeaderNames.LOCATION, "/ui");
        res.status(Status.SEE_OTHER_303).send();
    }

    private static SetCookie cookie(ServerRequest req, String value, Duration maxAge) {
        return SetCookie.builder(COOKIE, value).path("/ui").httpOnly(true).sameSite(SetCookie.SameSite.STRICT)
                .secure(req.isSecure()).maxAge(maxAge).build();
    }

    private static String cookie(ServerRequest req) {
        return req.headers().cookies().first(COOKIE).orElse(null);
    }

    /** The form's {@code credential}, or null; the body is small, urlencoded and read within the body deadline. */
    private String credential(ServerRequest req) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty() || !type.get().test(MediaTypes.APPLICATION_FORM_URLENCODED)) {
            return null;
        }
        byte[] body = deadlines.body(() -> {
            try (InputStream in = req.content().inputStream()) {
                return in.readNBytes(MAX_FORM_BYTES + 1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (body.length > MAX_FORM_BYTES) {
            return null;
        }
        for (String pair : new String(body, StandardCharsets.US_ASCII).split("&")) {
            if (pair.startsWith("credential=")) {
                try {
                    return URLDecoder.decode(pair.substring("credential=".length()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private KeyTimelineHtml.Snapshot snapshot(boolean bySession, String span) {
        Instant now = clock.instant();
        String storeDegraded = store.degraded().orElse(null);
        return new KeyTimelineHtml.Snapshot(issuer, replica.value(), now, keyRing.describe(),
                masters.policy().prepublishLead(), masters.policy().rotationPeriod(), backend.type(),
                backend.hardwareProtected(), backend.degraded().orElse(null),
                backend.circuit().name().toLowerCase(java.util.Locale.ROOT),
                store instanceof PostgresLifecycleStore ? "postgres" : "file", storeDegraded,
                Duration.between(masters.journalReadAt(), now), issuance.lastHour(), bySession, span);
    }

    private static void html(ServerResponse res, Status status, String page) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header(HeaderNames.create("Content-Security-Policy"), KeyTimelineHtml.CSP);
        res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
        res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        res.header(HeaderNames.create("X-Frame-Options"), "DENY");
        res.send(page.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "KeyTimelinePage[" + sessions + "]";
    }
}
