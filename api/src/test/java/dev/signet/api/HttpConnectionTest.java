package dev.signet.api;

import dev.signet.spi.SignetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.signet.api.TestDaemon.ALPHA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The public socket as raw TCP: slow and vanishing clients, HTTP/1.0, and a port already taken (pipelining is in
 * {@link SigningApiTest}, whose timeouts leave a slow first request alone).
 * Timeouts are short here (300 ms); each wait for the server is bounded by a deadline 60 times longer.
 */
class HttpConnectionTest {

    static final int WAIT_MS = 20_000;

    @TempDir
    Path dataDir;
    TestDaemon signet;
    final List<LogRecord> records = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    final Logger root = Logger.getLogger("");
    final Logger api = Logger.getLogger("dev.signet.api");
    Level apiLevel;

    @BeforeEach
    void start() {
        apiLevel = api.getLevel();
        api.setLevel(Level.FINE);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        signet = new TestDaemon(dataDir, Map.of("signet.http.header-timeout", "PT0.3S",
                "signet.http.body-timeout", "PT0.3S", "signet.http.idle-timeout", "PT0.3S"));
        records.clear(); // start-up warnings (the software backend's) are not what these tests look at
    }

    @AfterEach
    void stop() {
        signet.close();
        root.removeHandler(capture);
        api.setLevel(apiLevel);
    }

    Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", signet.daemon.server().port());
        s.setSoTimeout(WAIT_MS);
        return s;
    }

    static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    /** Reads until the server closes the connection; fails if it is still open after {@link #WAIT_MS}. */
    static String readUntilClosed(Socket s) throws IOException {
        StringBuilder out = new StringBuilder();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (SocketTimeoutException e) {
            fail("the server kept the connection open: " + out);
        } catch (SocketException reset) {
            // closed with a reset: closed all the same
        }
        return out.toString();
    }

    /** Warnings and worse, as text. */
    List<String> loud() {
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(r -> r.getLoggerName() + ": " + r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()))
                .toList();
    }

    @Test
    void aClientThatNeverFinishesItsHeadersIsDisconnected() throws Exception {
        try (Socket s = connect()) {
            write(s, "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: appl");
            assertEquals("", readUntilClosed(s), "closed without an answer");
        }
        assertEquals(List.of(), loud(), "a slow client is not worth a warning");
    }

    @Test
    void aClientThatNeverFinishesItsBodyIsDisconnected() throws Exception {
        for (String framing : List.of("Content-Length: 200\r\n\r\n{\"sub\":", "Transfer-Encoding: chunked\r\n\r\n7\r\n{\"sub\":")) {
            try (Socket s = connect()) {
                write(s, "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALPHA
                        + "\r\nContent-Type: application/json\r\n" + framing);
                assertEquals("", readUntilClosed(s), framing);
            }
        }
        assertEquals(List.of(), loud());
    }

    @Test
    void aKeptAliveConnectionWithNoNextRequestIsClosed() throws Exception {
        try (Socket s = connect()) {
            write(s, "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n");
            String response = readUntilClosed(s);
            assertTrue(response.startsWith("HTTP/1.1 200") && response.contains("\"keys\""), response);
        }
        assertEquals(List.of(), loud());
    }

    @Test
    void aClientLeavingMidBodyIsNotAWarning() throws Exception {
        try (Socket s = connect()) {
            write(s, "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALPHA
                    + "\r\nContent-Type: application/json\r\nX-Request-Id: leaver\r\nContent-Length: 200\r\n\r\n{\"sub\":");
            s.shutdownOutput(); // the client is gone as far as the body goes
            assertEquals("", readUntilClosed(s), "nothing to answer, and the server lets go");
        }
        assertEquals(List.of(), loud(), "no SEVERE with a stack trace per vanished client");
    }

    @Test
    void http10GetsA505WithItsOwnType() throws Exception {
        try (Socket s = connect()) {
            write(s, "GET /.well-known/jwks.json HTTP/1.0\r\nHost: x\r\n\r\n");
            String response = readUntilClosed(s);
            assertTrue(response.startsWith("HTTP/1.1 505"), response);
            assertTrue(response.contains("\"type\":\"urn:signet:problem:http-version-not-supported\""), response);
            assertTrue(response.contains("\"request_id\""), response);
        }
    }

    @Test
    void aTakenPortStopsTheStartNamingTheSocket(@TempDir Path other) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            SignetException pub = assertThrows(SignetException.class,
                    () -> new TestDaemon(other, Map.of("signet.port", Integer.toString(port))));
            assertTrue(pub.getMessage().contains("public socket 127.0.0.1:" + port) && pub.getMessage().contains("signet.port"),
                    pub.getMessage());
            SignetException admin = assertThrows(SignetException.class,
                    () -> new TestDaemon(other, Map.of("signet.admin.port", Integer.toString(port))));
            assertTrue(admin.getMessage().contains("admin socket 127.0.0.1:" + port), admin.getMessage());
        }
    }
}
