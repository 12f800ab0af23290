package dev.signet.pkcs11;

import dev.signet.spi.BackendSettings;
import dev.signet.spi.KeyBackend;
import dev.signet.spi.KeyBackendProvider;
import dev.signet.spi.SignetException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * {@code backend.type: pkcs11}. Settings: {@code library} (path of the PKCS#11 module), {@code token-label},
 * {@code pin-env} or {@code pin-file} (a PIN written in the configuration is refused), and optionally
 * {@code retry-initial} / {@code retry-max} (ISO-8601 durations, default PT0.5S / PT30S) for reconnecting
 * after a token fault, and {@code signing-threads} (default 0: sign on the request thread). Keys are recorded with
 * the settings' issuer. See {@code pkcs11/README.md}.
 */
public final class Pkcs11KeyBackendProvider implements KeyBackendProvider {

    @Override
    public String type() {
        return "pkcs11";
    }

    /**
     * @throws SignetException INVALID_ARGUMENT if a setting is missing or malformed, the library cannot be loaded,
     *                         the label matches no or several tokens, or the PIN is refused; UNAVAILABLE if the
     *                         token cannot be reached
     */
    @Override
    public KeyBackend open(BackendSettings settings) {
        String library = settings.require("library");
        String label = settings.require("token-label");
        char[] pin = settings.secret("pin").orElseThrow(() -> new SignetException(
                SignetException.Code.INVALID_ARGUMENT, "backend.pin-env or backend.pin-file is required"));
        try {
            Pkcs11KeyBackend.Options defaults = Pkcs11KeyBackend.Options.defaults();
            return new Pkcs11KeyBackend(library, label, pin, settings.issuer(), settings.clock(),
                    new Pkcs11KeyBackend.Options(duration(settings, "retry-initial", defaults.retryInitial()),
                            duration(settings, "retry-max", defaults.retryMax()), signingThreads(settings)));
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    private static int signingThreads(BackendSettings settings) {
        try {
            return settings.get("signing-threads").map(Integer::parseInt).orElse(0);
        } catch (NumberFormatException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "backend.signing-threads must be a number");
        }
    }

    private static Duration duration(BackendSettings settings, String key, Duration fallback) {
        try {
            Duration d = settings.get(key).map(Duration::parse).orElse(fallback);
            if (d.isNegative() || d.isZero()) {
                throw new DateTimeParseException("not positive", d.toString(), 0);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "backend." + key + " must be a positive ISO-8601 duration such as PT0.5S");
        }
    }
}
