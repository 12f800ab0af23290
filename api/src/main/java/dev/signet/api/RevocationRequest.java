package dev.signet.api;

import dev.signet.revocation.StatusLists.Kind;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.util.Map;

/**
 * The body of the admin socket's {@code POST /v1/revocations}: exactly one of {@code jti}, {@code task},
 * {@code sub}, {@code client_id}, and optionally {@code reason}; each a non-blank string of at most
 * {@link #MAX_VALUE} characters. Pure, so it is fuzzed without a daemon ({@code AdminBodyFuzzTest}).
 *
 * @param reason null when absent
 */
record RevocationRequest(Kind kind, String value, String reason) {

    static final int MAX_VALUE = 1024;

    /** @throws SignetException INVALID_ARGUMENT naming the member at fault */
    static RevocationRequest parse(Map<String, Object> body) {
        Kind kind = null;
        String value = null;
        for (String name : body.keySet()) {
            Kind k = switch (name) {
                case "jti" -> Kind.JTI;
                case "task" -> Kind.TASK;
                case "sub" -> Kind.SUB;
                case "client_id" -> Kind.CLIENT_ID;
                case "reason" -> null;
                default -> throw new SignetException(Code.INVALID_ARGUMENT, "unknown member " + name
                        + "; name exactly one of jti, task, sub, client_id, and optionally reason");
            };
            if (k == null) {
                continue;
            }
            if (kind != null) {
                throw new SignetException(Code.INVALID_ARGUMENT, "name exactly one of jti, task, sub, client_id");
            }
            kind = k;
            value = string(body, name);
        }
        if (kind == null) {
            throw new SignetException(Code.INVALID_ARGUMENT, "name one of jti, task, sub, client_id");
        }
        return new RevocationRequest(kind, value, body.containsKey("reason") ? string(body, "reason") : null);
    }

    private static String string(Map<String, Object> body, String name) {
        if (!(body.get(name) instanceof String s) || s.isBlank() || s.length() > MAX_VALUE) {
            throw new SignetException(Code.INVALID_ARGUMENT, name + " must be a non-empty string of at most "
                    + MAX_VALUE + " characters");
        }
        return s;
    }
}
