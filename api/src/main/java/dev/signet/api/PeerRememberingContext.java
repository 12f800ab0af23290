package dev.signet.api;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.nio.ByteBuffer;
import java.security.KeyManagementException;
import java.security.Principal;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.List;
import java.util.function.BiFunction;

/**
 * An SSLContext whose engines' sessions remember that the peer presented no certificate. Helidon 4.5 reads the
 * peer's certificates on every HTTP/1.1 request (for its {@code X-HELIDON-CN} header), and JSSE answers "none" by
 * constructing an {@code SSLPeerUnverifiedException} with a full stack trace each time; here the first one is kept
 * and rethrown for the rest of that session. Everything else is the wrapped JSSE engine's, unchanged: handshakes,
 * records, trust decisions. A session's peer certificates are fixed once it is established (a new handshake or a
 * resumption makes a new session, which is asked afresh), so the remembered answer is always the current one.
 */
final class PeerRememberingContext extends SSLContext {

    private PeerRememberingContext(SSLContext delegate) {
        super(new Spi(delegate), delegate.getProvider(), delegate.getProtocol());
    }

    /** {@code delegate} (already initialised, or initialised through the result) with remembering engines. */
    static SSLContext wrap(SSLContext delegate) {
        return new PeerRememberingContext(delegate);
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext d;

        Spi(SSLContext d) {
            this.d = d;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            d.init(km, tm, sr);
        }

        // Blocking sockets (Helidon's non-NIO listeners) get JSSE's own; only engines are wrapped.
        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return d.getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return d.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return new Engine(d.createSSLEngine(), null, -1);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return new Engine(d.createSSLEngine(host, port), host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return d.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return d.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return d.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return d.getSupportedSSLParameters();
        }
    }

    /** JSSE's engine, except that {@link #getSession()} hands out the remembering view of its session. */
    static final class Engine extends SSLEngine {
        private final SSLEngine d;
        private volatile Session session;

        Engine(SSLEngine d, String host, int port) {
            super(host, port);
            this.d = d;
        }

        @Override
        public SSLSession getSession() {
            SSLSession current = d.getSession();
            Session s = session;
            if (s == null || s.d != current) {
                s = new Session(current);
                session = s;
            }
            return s;
        }

        @Override
        public String getPeerHost() {
            return d.getPeerHost();
        }

        @Override
        public int getPeerPort() {
            return d.getPeerPort();
        }

        @Override
        public SSLSession getHandshakeSession() {
            return d.getHandshakeSession();
        }

        @Override
        public SSLEngineResult wrap(ByteBuffer src, ByteBuffer dst) throws SSLException {
            return d.wrap(src, dst);
        }

        @Override
        public SSLEngineResult wrap(ByteBuffer[] srcs, ByteBuffer dst) throws SSLException {
            return d.wrap(srcs, dst);
        }

        @Override
        public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
            return d.wrap(srcs, offset, length, dst);
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer dst) throws SSLException {
            return d.unwrap(src, dst);
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts) throws SSLException {
            return d.unwrap(src, dsts);
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
            return d.unwrap(src, dsts, offset, length);
        }

        @Override
        public Runnable getDelegatedTask() {
            return d.getDelegatedTask();
        }

        @Override
        public void closeInbound() throws SSLException {
            d.closeInbound();
        }

        @Override
        public boolean isInboundDone() {
            return d.isInboundDone();
        }

        @Override
        public void closeOutbound() {
            d.closeOutbound();
        }

        @Override
        public boolean isOutboundDone() {
            return d.isOutboundDone();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return d.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return d.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            d.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return d.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return d.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            d.setEnabledProtocols(protocols);
        }

        @Override
        public void beginHandshake() throws SSLException {
            d.beginHandshake();
        }

        @Override
        public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
            return d.getHandshakeStatus();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            d.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return d.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            d.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return d.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            d.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return d.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            d.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return d.getEnableSessionCreation();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return d.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            d.setSSLParameters(params);
        }

        @Override
        public String getApplicationProtocol() {
            return d.getApplicationProtocol();
        }

        @Override
        public String getHandshakeApplicationProtocol() {
            return d.getHandshakeApplicationProtocol();
        }

        @Override
        public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
            d.setHandshakeApplicationProtocolSelector(selector);
        }

        @Override
        public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
            return d.getHandshakeApplicationProtocolSelector();
        }

        @Override
        public String toString() {
            return d.toString();
        }
    }

    /** A JSSE session that asks it for the peer's certificates until it once answers "none". */
    static final class Session extends ExtendedSSLSession {
        private final SSLSession d;
        private volatile SSLPeerUnverifiedException unverified;

        Session(SSLSession d) {
            this.d = d;
        }

        @Override
        public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
            SSLPeerUnverifiedException none = unverified;
            if (none != null) {
                throw none;
            }
            try {
                return d.getPeerCertificates();
            } catch (SSLPeerUnverifiedException e) {
                unverified = e;
                throw e;
            }
        }

        @Override
        public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
            SSLPeerUnverifiedException none = unverified;
            if (none != null) {
                throw none;
            }
            try {
                return d.getPeerPrincipal();
            } catch (SSLPeerUnverifiedException e) {
                unverified = e;
                throw e;
            }
        }

        @Override
        public byte[] getId() {
            return d.getId();
        }

        @Override
        public SSLSessionContext getSessionContext() {
            return d.getSessionContext();
        }

        @Override
        public long getCreationTime() {
            return d.getCreationTime();
        }

        @Override
        public long getLastAccessedTime() {
            return d.getLastAccessedTime();
        }

        @Override
        public void invalidate() {
            d.invalidate();
        }

        @Override
        public boolean isValid() {
            return d.isValid();
        }

        @Override
        public void putValue(String name, Object value) {
            d.putValue(name, value);
        }

        @Override
        public Object getValue(String name) {
            return d.getValue(name);
        }

        @Override
        public void removeValue(String name) {
            d.removeValue(name);
        }

        @Override
        public String[] getValueNames() {
            return d.getValueNames();
        }

        @Override
        public Certificate[] getLocalCertificates() {
            return d.getLocalCertificates();
        }

        @Override
        public Principal getLocalPrincipal() {
            return d.getLocalPrincipal();
        }

        @Override
        public String getCipherSuite() {
            return d.getCipherSuite();
        }

        @Override
        public String getProtocol() {
            return d.getProtocol();
        }

        @Override
        public String getPeerHost() {
            return d.getPeerHost();
        }

        @Override
        public int getPeerPort() {
            return d.getPeerPort();
        }

        @Override
        public int getPacketBufferSize() {
            return d.getPacketBufferSize();
        }

        @Override
        public int getApplicationBufferSize() {
            return d.getApplicationBufferSize();
        }

        @Override
        public String[] getLocalSupportedSignatureAlgorithms() {
            return d instanceof ExtendedSSLSession e ? e.getLocalSupportedSignatureAlgorithms() : new String[0];
        }

        @Override
        public String[] getPeerSupportedSignatureAlgorithms() {
            return d instanceof ExtendedSSLSession e ? e.getPeerSupportedSignatureAlgorithms() : new String[0];
        }

        @Override
        public List<SNIServerName> getRequestedServerNames() {
            return d instanceof ExtendedSSLSession e ? e.getRequestedServerNames() : List.of();
        }

        @Override
        public List<byte[]> getStatusResponses() {
            return d instanceof ExtendedSSLSession e ? e.getStatusResponses() : List.of();
        }

        @Override
        public String toString() {
            return d.toString();
        }
    }
}
