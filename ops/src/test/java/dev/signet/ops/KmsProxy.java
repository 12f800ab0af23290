package dev.signet.ops;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of moto_server that counts KMS requests by operation ({@code X-Amz-Target} without the
 * service), so a test can say how many Sign or GenerateDataKey calls something cost.
 */
final class KmsProxy implements AutoCloseable {

    private static final Set<String> HOP_BY_HOP_REQUEST = Set.of("host", "content-length", "connection", "expect",
            "transfer-encoding");
    private static final Set<String> HOP_BY_HOP_RESPONSE = Set.of("content-length", "transfer-encoding", "connection",
            ":status");

    private final HttpServer server;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    private KmsProxy(HttpServer server) {
        this.server = server;
    }

    /** A proxy on a free loopback port forwarding to moto_server on {@code motoPort}. */
    static KmsProxy start(int motoPort) throws IOException {
        return start(motoPort, 0);
    }

    /**
     * A proxy on loopback {@code port} (0: a free one); a port just released by a proxy closed for an outage may
     * still be held for a moment, so binding is retried for about five seconds.
     */
    static KmsProxy start(int motoPort, int port) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        KmsProxy proxy = new KmsProxy(bind(port));
        proxy.server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        proxy.server.createContext("/", exchange -> {
            try (exchange) {
                String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
                String op = target == null ? "other" : target.substring(target.indexOf('.') + 1);
                proxy.calls.computeIfAbsent(op, o -> new AtomicInteger()).incrementAndGet();
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + motoPort
                        + exchange.getRequestURI())).method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                exchange.getRequestHeaders().forEach((name, values) -> {
                    if (!HOP_BY_HOP_REQUEST.contains(name.toLowerCase(Locale.ROOT))) {
                        values.forEach(v -> forward.header(name, v));
                    }
                });
                HttpResponse<byte[]> res;
                try {
                    res = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                res.headers().map().forEach((name, values) -> {
                    if (!HOP_BY_HOP_RESPONSE.contains(name.toLowerCase(Locale.ROOT))) {
                        values.forEach(v -> exchange.getResponseHeaders().add(name, v));
                    }
                });
                exchange.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(res.body());
                }
            }
        });
        proxy.server.start();
        return proxy;
    }

    private static HttpServer bind(int port) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
            } catch (java.net.BindException e) {
                if (attempt > 50) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException i) {
                    Thread.currentThread().interrupt();
                    throw new IOException(i);
                }
            }
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Requests seen so far, by operation. */
    Map<String, Integer> calls() {
        Map<String, Integer> m = new TreeMap<>();
        calls.forEach((op, n) -> m.put(op, n.get()));
        return m;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
