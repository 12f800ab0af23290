package dev.signet.api;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * Helidon 4.5 closes an HTTP/1.0 connection without a word. This selector claims such connections first and
 * answers {@code 505} with a problem body (from {@link Problems}) before closing, so the client learns why.
 */
final class Http10Refusal implements ServerConnectionSelector {

    private static final byte[] VERSION = " HTTP/1.0\r".getBytes(StandardCharsets.US_ASCII);

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        int eol = data.indexOf((byte) '\n');
        if (eol < 0) {
            return Support.UNKNOWN;
        }
        if (eol < VERSION.length) {
            return Support.UNSUPPORTED;
        }
        for (int i = 0; i < VERSION.length; i++) {
            if (data.get(eol - VERSION.length + i) != VERSION[i]) {
                return Support.UNSUPPORTED;
            }
        }
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new ServerConnection() {
            @Override
            public void handle(io.helidon.common.concurrency.limits.Limit limit) {
                ctx.dataWriter().writeNow(BufferData.create(Problems.http10Response()));
            }

            @Override
            public Duration idleTime() {
                return Duration.ZERO;
            }

            @Override
            public void close(boolean interrupt) {
                // handle() writes one response and returns; the connection then closes
            }
        };
    }
}
