package dev.signet.api;

import dev.signet.rotation.KeyRing.KeyView;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page as a pure function: every state's bar, the order of its stretches, escaping, and the CSP's hash. */
class KeyTimelineHtmlTest {

    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    static KeyTimelineHtml.Snapshot snapshot(List<KeyView> keys, String backendDegraded) {
        return new KeyTimelineHtml.Snapshot("https://signet.test", "r1", NOW, keys, Duration.ofHours(1),
                Duration.ofDays(7), "pkcs11", true, backendDegraded, "open", "file", null, Duration.ofSeconds(3),
                Map.of(), false, "all");
    }

    static Instant at(long hours) {
        return NOW.plus(Duration.ofHours(hours));
    }

    /** The phases of one key's bar, left to right. */
    static List<String> phases(String page, String kid) {
        int start = page.indexOf("data-kid=\"" + kid + "\"");
        assertTrue(start > 0, kid + " is drawn");
        String group = page.substring(start, page.indexOf("</g>", start));
        Matcher m = Pattern.compile("data-phase=\"([a-z]+)\"").matcher(group);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void everyStateHasItsBarAndDestroyedKeysAreNotDrawn() {
        String page = KeyTimelineHtml.page(snapshot(List.of(
                new KeyView("removed", "ES256", "REMOVED", at(-30), at(-29), at(-20), at(-2), null),
                new KeyView("retired", "ES256", "RETIRED", at(-20), at(-19), at(-1), at(2), null),
                new KeyView("active", "ES256", "ACTIVE", at(-2), at(-1), at(1), at(3), null),
                new KeyView("prepared", "ES256", "PREPARED", at(-1), at(1), at(100), at(102), null),
                new KeyView("revoked", "ES256", "REVOKED", at(-40), at(-39), null, at(-10), at(20)),
                new KeyView("gone", "ES256", "DESTROYED", at(-90), at(-89), at(-80), at(-70), at(-60))), null));
        assertEquals(List.of("prepared", "active", "retired", "unpublished"), phases(page, "removed"));
        assertEquals(List.of("prepared", "active", "retired"), phases(page, "retired"));
        assertEquals(List.of("prepared", "active", "retired"), phases(page, "active"));
        assertEquals(List.of("prepared", "active", "retired"), phases(page, "prepared"));
        assertEquals(List.of("prepared", "active", "revoked"), phases(page, "revoked"));
        assertFalse(page.contains("data-kid=\"gone\""));
        // The ACTIVE bar ends at the retirement describe() gives (when the PREPARED key activates).
        assertTrue(page.contains("data-phase=\"active\" data-from=\"" + at(-1) + "\" data-to=\"" + at(1) + "\""), page);
        assertTrue(page.contains("id=\"now-line\" class=\"now\" data-time=\"" + NOW + "\""));
    }

    @Test
    void whatTheBackendSaysIsEscapedAndTheStylesheetIsTheOneTheCspNames() throws Exception {
        String page = KeyTimelineHtml.page(snapshot(List.of(), "token <script>alert(1)</script> & \"gone\""));
        assertFalse(page.contains("<script>"), page);
        assertTrue(page.contains("token &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;gone&quot;"), page);
        assertTrue(page.contains("no keys"));
        String css = page.substring(page.indexOf("<style>") + 7, page.indexOf("</style>"));
        String hash = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                .digest(css.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(KeyTimelineHtml.CSP.contains("style-src 'sha256-" + hash + "'"), KeyTimelineHtml.CSP);
        assertTrue(KeyTimelineHtml.CSP.startsWith("default-src 'none'") && !KeyTimelineHtml.CSP.contains("script-src"));
    }
}
