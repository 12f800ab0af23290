package dev.signet.issuance;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code authorization_details} of an exchange: what is not an array of entries is invalid_request, never a 500. */
class ExchangeDetailsTest {

    @Test
    void nullAndOtherNonArraysAreInvalidRequests() {
        // JSONArrayUtils reads "null" as no list at all: it escaped as a NullPointerException (a 500) before.
        for (String text : List.of("null", "{}", "\"x\"", "[null]", "[]", "{not json")) {
            ExchangeException e = assertThrows(ExchangeException.class, () -> Exchange.details(text), text);
            assertEquals(ExchangeException.INVALID_REQUEST, e.error(), text);
        }
        assertEquals(List.of(new ScopeItem("repo:a/b", List.of("read"))),
                Exchange.details("[{\"type\":\"signet_resource\",\"identifier\":\"repo:a/b\",\"actions\":[\"read\"]}]"));
    }
}
