package dev.signet.api;

import dev.signet.spi.SignetException;
import io.helidon.config.Config;

import java.util.logging.Handler;
import java.util.logging.Logger;

/** {@code signet.log.format}: {@code text} (the default, for people) or {@code json} (one object per line). */
public final class LogFormat {

    private LogFormat() {
    }

    /**
     * Puts the configured formatter on the root logger's handlers; call after the logging configuration is read.
     *
     * @throws SignetException INVALID_ARGUMENT for a format other than text or json
     */
    public static void apply(Config root) {
        String format = root.get("signet.log.format").asString().orElse("text");
        switch (format) {
            case "text" -> {
            }
            case "json" -> {
                for (Handler h : Logger.getLogger("").getHandlers()) {
                    h.setFormatter(new JsonLogFormatter());
                }
            }
            default -> throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "signet.log.format is '" + format + "'; use text or json");
        }
    }
}
