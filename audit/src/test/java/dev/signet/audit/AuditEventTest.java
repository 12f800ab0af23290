package dev.signet.audit;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** An event is checked as it is built, and a built event never changes, though its builder hands its map over. */
class AuditEventTest {

    @Test
    void fieldsKeepTheirOrderAndNullsAreLeftOut() {
        AuditEvent e = AuditEvent.of("token").put("jti", "j1").put("task", null).put("iat", 1L).put("aud", List.of("a"))
                .build();
        assertEquals("token", e.type());
        assertEquals(List.of("jti", "iat", "aud"), List.copyOf(e.fields().keySet()));
        assertFalse(e.fields().containsKey("task"));
    }

    @Test
    void aBuiltEventIsUnchangedByItsBuilderAndCannotBeChanged() {
        AuditEvent.Builder b = AuditEvent.of("operator").put("verb", "revoke");
        AuditEvent first = b.build();
        AuditEvent second = b.put("phase", "done").build();
        assertEquals(Map.of("verb", "revoke"), first.fields());
        assertEquals(Map.of("verb", "revoke", "phase", "done"), second.fields());
        assertThrows(UnsupportedOperationException.class, () -> first.fields().put("verb", "forged"));
        assertEquals(AuditEvent.of("operator").put("verb", "revoke").build(), first);
    }

    @Test
    void theChainsOwnNamesAndBadTypesAreRefused() {
        for (String name : List.of("seq", "time", "replica", "type", "prev")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AuditEvent.of("token").put(name, "x"));
            assertEquals("'" + name + "' is written by the audit log itself", e.getMessage());
        }
        for (String type : new String[] {null, "", "Token", "tok-en", "a".repeat(33)}) {
            assertThrows(IllegalArgumentException.class, () -> AuditEvent.of(type), String.valueOf(type));
        }
        assertEquals("a".repeat(32), AuditEvent.of("a".repeat(32)).build().type());
    }
}
