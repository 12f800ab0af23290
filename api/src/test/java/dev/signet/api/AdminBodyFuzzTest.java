package dev.signet.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.signet.spi.SignetException;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for the admin socket's request bodies (RELIABILITY.md). The key verbs take none (the kid is a path
 * segment), so this is {@code POST /v1/revocations}: the bytes go through the same strict JSON reader as every body
 * ({@link RequestBodies#parseObject}) and {@link RevocationRequest#parse}. Refused only with a client error
 * (MALFORMED or INVALID_ARGUMENT, which Problems turns into a 400), never INTERNAL or another exception; parsed,
 * the rule is what the body says, checked independently: its only members are one of jti, task, sub, client_id and
 * perhaps reason, each a non-blank string of at most 1024 characters, and the request carries exactly those.
 */
class AdminBodyFuzzTest {

    static final Set<String> KINDS = Set.of("jti", "task", "sub", "client_id");

    @FuzzTest(maxDuration = "20s")
    void revocation(byte[] data) {
        Map<String, Object> body;
        RevocationRequest r;
        try {
            body = RequestBodies.parseObject(data);
            r = RevocationRequest.parse(body);
        } catch (SignetException e) {
            assertTrue(e.code() == SignetException.Code.MALFORMED || e.code() == SignetException.Code.INVALID_ARGUMENT,
                    () -> "refused with " + e.code() + ": " + e.getMessage());
            return;
        }
        long kinds = body.keySet().stream().filter(KINDS::contains).count();
        assertEquals(1, kinds, "exactly one of jti, task, sub, client_id");
        assertTrue(KINDS.containsAll(body.keySet().stream().filter(k -> !k.equals("reason")).toList()));
        String name = body.keySet().stream().filter(KINDS::contains).findFirst().orElseThrow();
        assertEquals(name, r.kind().claim);
        assertEquals(body.get(name), r.value());
        assertEquals(body.get("reason"), r.reason());
        for (String v : new String[] {r.value(), r.reason()}) {
            assertTrue(v == null || (!v.isBlank() && v.length() <= RevocationRequest.MAX_VALUE), "value " + v);
        }
    }
}
