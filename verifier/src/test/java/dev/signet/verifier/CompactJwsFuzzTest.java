package dev.signet.verifier;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

/**
 * Differential fuzz target for the direct reading of JOSE text (RELIABILITY.md): whatever {@link CompactJws} or
 * {@link PlainJson} reads, Nimbus must read to the same values ({@link CompactJwsTest#agrees}), since every text the
 * direct reader declines goes to Nimbus and a disagreement would make a token mean two things. An input is UTF-8: a
 * header line, a newline and a payload line, made into a compact JWS with a 64-byte signature; or, without a newline,
 * the text itself (read both as a JWS and as a JSON object).
 */
class CompactJwsFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void read(byte[] data) {
        String input = new String(data, StandardCharsets.UTF_8);
        int nl = input.indexOf('\n');
        if (nl >= 0) {
            String header = input.substring(0, nl);
            String payload = input.substring(nl + 1);
            CompactJwsTest.agreesAsJson(header);
            CompactJwsTest.agreesAsJson(payload);
            CompactJwsTest.agrees(CompactJwsTest.signed(header, payload));
        } else {
            CompactJwsTest.agreesAsJson(input);
            CompactJwsTest.agrees(input);
        }
    }
}
