package dev.signet.api;

import dev.signet.audit.AuditEvent;
import dev.signet.audit.AuditTrail;
import dev.signet.rotation.KeyRing;
import dev.signet.spi.SignetException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records every key lifecycle transition this replica sees (master keys and subkeys) in the audit trail, by
 * comparing the ring's key list with the one it saw last; called after every scheduler tick and operator verb.
 * The first call records the key set as found at start-up ({@code from} absent).
 */
final class KeyTransitions {

    private static final System.Logger LOG = System.getLogger(KeyTransitions.class.getName());

    private final KeyRing ring;
    private final AuditTrail audit;
    private final Map<String, String> seen = new HashMap<>();

    KeyTransitions(KeyRing ring, AuditTrail audit) {
        this.ring = ring;
        this.audit = audit;
    }

    synchronized void observe() {
        List<KeyRing.KeyView> keys;
        try {
            keys = ring.describe();
        } catch (SignetException e) {
            return; // the journal cannot be read now; the next tick tries again
        }
        Map<String, String> now = new HashMap<>();
        for (KeyRing.KeyView k : keys) {
            now.put(k.kid(), k.state());
            String before = seen.get(k.kid());
            if (!k.state().equals(before)) {
                record(k.kid(), k.algorithm(), before, k.state());
            }
        }
        for (String kid : seen.keySet()) {
            if (!now.containsKey(kid)) {
                record(kid, null, seen.get(kid), "GONE");
            }
        }
        seen.clear();
        seen.putAll(now);
    }

    private void record(String kid, String alg, String from, String to) {
        try {
            audit.append(AuditEvent.of("key").put("kid", kid).put("alg", alg).put("from", from).put("to", to).build());
        } catch (SignetException e) {
            LOG.log(System.Logger.Level.ERROR, "key " + kid + " " + from + " -> " + to + " not audited: " + e.getMessage());
        }
    }
}
