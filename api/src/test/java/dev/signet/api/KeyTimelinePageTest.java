package dev.signet.api;

import dev.signet.spi.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /ui} over HTTP: the login form and its session cookie, the bearer credential for scripts, that the cookie
 * opens nothing of the admin API, session expiry on the injected clock, lockout, and what the page must not hold.
 * (The rendered page in a real browser: {@link KeyTimelineBrowserTest}.)
 */
class KeyTimelinePageTest {

    @TempDir
    Path dataDir;
    final MutableClock clock = new MutableClock(Instant.now());
    TestDaemon signet;

    @BeforeEach
    void start() {
        signet = new TestDaemon(dataDir, Map.of(), clock);
    }

    @AfterEach
    void stop() {
        signet.close();
    }

    HttpResponse<String> login(String credential) {
        return signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("credential="
                        + java.net.URLEncoder.encode(credential, java.nio.charset.StandardCharsets.UTF_8))).build());
    }

    /** The cookie's {@code name=value}, from a successful login. */
    String session() {
        HttpResponse<String> ok = login(TestDaemon.ADMIN);
        assertEquals(303, ok.statusCode(), ok.body());
        assertEquals("/ui", ok.headers().firstValue("Location").orElseThrow());
        String setCookie = ok.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    HttpResponse<String> withCookie(String method, String path, String cookie) {
        return signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + path)).header("Cookie", cookie)
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    @Test
    void theFormLogsInWithAStrictHttpOnlyShortSessionAndThePageShowsTheKeys() {
        HttpResponse<String> form = signet.get(signet.adminBase() + "/ui");
        assertEquals(200, form.statusCode());
        assertTrue(form.body().contains("<form method=\"post\" action=\"/ui/login\""), form.body());
        assertTrue(form.headers().firstValue("Content-Security-Policy").orElseThrow().startsWith("default-src 'none'"));

        HttpResponse<String> ok = login(TestDaemon.ADMIN);
        assertEquals(303, ok.statusCode());
        String setCookie = ok.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.startsWith(KeyTimelinePage.COOKIE + "="), setCookie);
        assertTrue(setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
        assertTrue(setCookie.contains("Path=/ui"), setCookie);
        assertTrue(setCookie.contains("Max-Age=900"), setCookie);
        assertFalse(setCookie.contains("Secure"), "no TLS here, so not Secure: " + setCookie);

        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> page = withCookie("GET", "/ui", cookie);
        assertEquals(200, page.statusCode());
        String kid = (String) ((Map<?, ?>) ((java.util.List<?>) TestDaemon.json(signet.get(signet.adminBase()
                + "/v1/keys", "Authorization", "Bearer " + TestDaemon.ADMIN)).get("keys")).getFirst()).get("kid");
        assertTrue(page.body().contains("data-kid=\"" + kid + "\" data-state=\"ACTIVE\""), page.body());
        assertTrue(page.body().contains("id=\"now-line\""), page.body());
        assertTrue(page.body().contains("<span class=\"ok health\">healthy</span>"), page.body());
        assertFalse(page.body().contains(TestDaemon.ADMIN), "no credential in the page");
        assertFalse(page.body().contains(signet.config.adminCredential().text()), "nor its hash");
        assertFalse(page.body().contains(cookie.substring(cookie.indexOf('=') + 1)), "nor the session id");
        assertTrue(page.headers().firstValue("Cache-Control").orElseThrow().contains("no-store"));
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElseThrow());
    }

    @Test
    void theCookieOpensNoAdminApiCallAndAScriptUsesTheBearerCredential() {
        String cookie = session();
        assertEquals(401, withCookie("POST", "/v1/keys/rotate", cookie).statusCode(), "no state change by cookie");
        assertEquals(401, withCookie("POST", "/v1/keys/prepare", cookie).statusCode());
        assertEquals(401, withCookie("GET", "/v1/keys", cookie).statusCode(), "the cookie is the page's only");

        HttpResponse<String> script = signet.get(signet.adminBase() + "/ui", "Authorization", "Bearer " + TestDaemon.ADMIN);
        assertEquals(200, script.statusCode());
        assertTrue(script.body().contains("id=\"timeline\""), script.body());
        assertTrue(script.body().contains("<b>1d</b>"), "one day around now by default");
        String all = signet.get(signet.adminBase() + "/ui?span=all", "Authorization", "Bearer " + TestDaemon.ADMIN).body();
        assertTrue(all.contains("<b>all</b>") && all.contains("<a href=\"/ui?span=1d\">"), all);
        String odd = signet.get(signet.adminBase() + "/ui?span=%3Cscript%3E", "Authorization", "Bearer " + TestDaemon.ADMIN)
                .body();
        assertTrue(odd.contains("<b>1d</b>") && !odd.contains("<script>"), "an unknown span is the default");
        HttpResponse<String> wrong = signet.get(signet.adminBase() + "/ui", "Authorization", "Bearer wrong-0123456789");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("Content-Type").orElseThrow().startsWith("application/problem+json"));
        assertEquals(404, signet.get(signet.base() + "/ui").statusCode(), "not on the public socket");
    }

    @Test
    void aWrongCredentialGetsA401PageWithoutDetailAndRepeatedFailuresWait() {
        HttpResponse<String> bad = login("not-the-admin-credential-0123456789");
        assertEquals(401, bad.statusCode());
        assertTrue(bad.body().contains("Login failed."), bad.body());
        assertFalse(bad.body().contains("credential is required"), "no reason given");
        assertTrue(bad.headers().firstValue("Set-Cookie").isEmpty());
        assertEquals(401, login("").statusCode());

        for (int i = 2; i < UiSessions.MAX_FAILURES; i++) {
            assertEquals(401, login("guess-" + i).statusCode());
        }
        HttpResponse<String> locked = login(TestDaemon.ADMIN);
        assertEquals(429, locked.statusCode(), "even the right credential waits out the lockout");
        assertTrue(Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow()) > 0);
        clock.advance(UiSessions.LOCKOUT);
        assertEquals(303, login(TestDaemon.ADMIN).statusCode());
    }

    @Test
    void aSessionEndsAtLogoutAndAfterItsLifetime() {
        String cookie = session();
        assertTrue(withCookie("GET", "/ui", cookie).body().contains("id=\"timeline\""));
        HttpResponse<String> out = withCookie("POST", "/ui/logout", cookie);
        assertEquals(303, out.statusCode());
        String cleared = out.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cleared.startsWith(KeyTimelinePage.COOKIE + "=;") && cleared.contains("Expires=Thu, 1 Jan 1970"),
                cleared);
        assertTrue(withCookie("GET", "/ui", cookie).body().contains("action=\"/ui/login\""), "logged out");

        String later = session();
        clock.advance(UiSessions.LIFETIME.minus(Duration.ofSeconds(1)));
        HttpResponse<String> still = withCookie("GET", "/ui", later);
        assertTrue(still.body().contains("id=\"timeline\""), still.statusCode() + " " + still.body());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(withCookie("GET", "/ui", later).body().contains("action=\"/ui/login\""), "expired");
        assertTrue(withCookie("GET", "/ui", KeyTimelinePage.COOKIE + "=forged").body().contains("action=\"/ui/login\""));
    }

    @Test
    void thePageCountsIssuancePerMinterOverTheLastHour() {
        assertEquals(201, signet.mint(TestDaemon.ALPHA, TestDaemon.request("a", "https://alpha.example", 60,
                "repo:alpha/x", "read")).statusCode());
        assertEquals(403, signet.mint(TestDaemon.BETA, TestDaemon.request("b", "https://alpha.example", 60,
                "repo:alpha/x", "read")).statusCode());
        String page = signet.get(signet.adminBase() + "/ui", "Authorization", "Bearer " + TestDaemon.ADMIN).body();
        assertTrue(page.matches("(?s).*data-minter=\"alpha\"><td><code>alpha</code></td><td class=\"issued\">1</td>"
                + "<td class=\"refused\">0</td>.*"), page);
        assertTrue(page.matches("(?s).*data-minter=\"beta\">.*?<td class=\"issued\">0</td><td class=\"refused\">1</td>.*"),
                page);
        clock.advance(Duration.ofMinutes(61));
        page = signet.get(signet.adminBase() + "/ui", "Authorization", "Bearer " + TestDaemon.ADMIN).body();
        assertTrue(page.contains("data-minter=\"alpha\"><td><code>alpha</code></td><td class=\"issued\">0</td>"),
                "an hour later the minute has left the window: " + page);
    }

    @Test
    void retiredAndRevokedKeysGetTheirBarsAndDestroyedOnesLeave() {
        String[] admin = {"Authorization", "Bearer " + TestDaemon.ADMIN};
        String first = kids().getFirst();
        assertEquals(200, signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/v1/keys/rotate"))
                .header(admin[0], admin[1]).POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode());
        clock.advance(Duration.ofHours(1).plusMinutes(1)); // the lead: the prepared key takes over
        signet.daemon.keyRing().tick();
        String page = signet.get(signet.adminBase() + "/ui?span=all", admin).body();
        assertTrue(page.contains("data-kid=\"" + first + "\" data-state=\"RETIRED\""), page);
        assertTrue(page.contains("class=\"seg seg-retired\""), page);

        clock.advance(Duration.ofHours(3)); // past the retention: unpublished and destroyed
        signet.daemon.keyRing().tick();
        String second = kids().stream().filter(k -> !k.equals(first)).findFirst().orElseThrow();
        assertEquals(200, signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase() + "/v1/keys/" + second
                + "/revoke")).header(admin[0], admin[1]).POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode());
        page = signet.get(signet.adminBase() + "/ui?span=all", admin).body();
        assertFalse(page.contains("data-kid=\"" + first + "\""), "unpublished, then destroyed: not drawn " + page);
        assertTrue(page.contains("data-kid=\"" + second + "\" data-state=\"REVOKED\"")
                && page.contains("class=\"seg seg-revoked\""), "revoked: " + page);
        assertTrue(page.contains("data-state=\"ACTIVE\""), "a new key signs at once after a revocation: " + page);
    }

    java.util.List<String> kids() {
        return ((java.util.List<?>) TestDaemon.json(signet.get(signet.adminBase() + "/v1/keys", "Authorization",
                "Bearer " + TestDaemon.ADMIN)).get("keys")).stream().map(k -> (String) ((Map<?, ?>) k).get("kid")).toList();
    }
}
