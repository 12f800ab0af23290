package dev.signet.api;

import dev.signet.issuance.ClientCertificate;
import dev.signet.issuance.PeerIdentity;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.common.socket.PeerInfo;
import io.helidon.common.tls.Tls;
import io.helidon.health.HealthCheckResponse;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * TLS on one socket, reloaded when its files change: the serving key and chain, and the client-certificate trust
 * anchors per SPIFFE trust domain. The SSLContext's key and trust managers read the current material on every
 * handshake, so a reload needs no restart; {@link #identify} re-checks a client chain against the current anchors
 * on every request (remembering the answer per connection until a reload or the chain's dates change it), so
 * removing a trust bundle also stops connections (and resumed sessions) it authenticated.
 */
final class ServingTls implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ServingTls.class.getName());
    private static final List<String> TLS13_SUITES = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256");
    // Forward secrecy and AEAD only.
    private static final List<String> TLS12_SUITES = List.of("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** What the files held at one load. */
    private record Material(byte[] fingerprint, X509ExtendedKeyManager keyManager, X509Certificate[] chain,
                            X509ExtendedTrustManager trustManager, Map<String, Set<TrustAnchor>> anchors) {
    }

    private final TlsSettings settings;
    private final Clock clock;
    private final Function<String, String> env;
    private final SSLContext context;
    private final Tls tls;
    private volatile Material material;
    private ScheduledFuture<?> polling;

    /** @throws SignetException INVALID_ARGUMENT if the files cannot be read or do not hold a usable key and chain */
    ServingTls(TlsSettings settings, Clock clock, Function<String, String> env) {
        this.settings = settings;
        this.clock = clock;
        this.env = env;
        this.material = load();
        try {
            context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {new CurrentKeyManager()},
                    new javax.net.ssl.TrustManager[] {new CurrentTrustManager()}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no TLS", e);
        }
        SSLParameters params = new SSLParameters();
        params.setProtocols(settings.protocols().toArray(String[]::new));
        List<String> suites = new ArrayList<>(TLS13_SUITES);
        if (settings.protocols().contains("TLSv1.2")) {
            suites.addAll(TLS12_SUITES);
        }
        params.setCipherSuites(suites.toArray(String[]::new));
        params.setUseCipherSuitesOrder(true);
        // Asked for, not required: JWKS and bearer-only minters connect without one; requests check per minter.
        params.setWantClientAuth(!settings.clientTrust().isEmpty());
        params.setApplicationProtocols(new String[] {"http/1.1"});
        // Helidon reads the client certificate on every request; JSSE would throw a new exception each time.
        tls = Tls.builder().sslContext(PeerRememberingContext.wrap(context)).sslParameters(params).build();
        logServing("serving");
    }

    Tls tls() {
        return tls;
    }

    TlsSettings settings() {
        return settings;
    }

    /** Checks the files every {@code reload-interval} on the given scheduler. */
    void pollOn(ScheduledExecutorService scheduler) {
        long ms = settings.reloadInterval().toMillis();
        polling = scheduler.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Reloads when a file's content changed. A change that cannot be loaded (a half-written file, a key that
     * does not match the certificate) is logged and the current material kept, so serving never stops.
     *
     * @return true if new material was loaded
     */
    boolean poll() {
        try {
            if (MessageDigest.isEqual(fingerprint(), material.fingerprint())) {
                return false;
            }
            Material old = material;
            material = load();
            if (!old.anchors().equals(material.anchors())) {
                // A removed anchor must not live on in resumable sessions.
                invalidate(context.getServerSessionContext());
            }
            logServing("reloaded");
            return true;
        } catch (SignetException | IOException e) {
            LOG.log(System.Logger.Level.WARNING, settings.socket() + ": the TLS files changed but cannot be loaded,"
                    + " still serving the previous certificate: " + e.getMessage());
            return false;
        }
    }

    private static void invalidate(SSLSessionContext sessions) {
        for (byte[] id : Collections.list(sessions.getIds())) {
            SSLSession s = sessions.getSession(id);
            if (s != null) {
                s.invalidate();
            }
        }
    }

    private void logServing(String what) {
        X509Certificate leaf = material.chain()[0];
        LOG.log(System.Logger.Level.INFO, settings.socket() + ": " + what + " certificate subject '"
                + leaf.getSubjectX500Principal().getName() + "', expires " + leaf.getNotAfter().toInstant()
                + ", client trust domains " + new TreeMap<>(material.anchors()).keySet());
    }

    /** When the serving certificate expires. */
    Instant expires() {
        return material.chain()[0].getNotAfter().toInstant();
    }

    /** UP always (the certificate is still valid while it serves); a detail warns when expiry is near. */
    HealthCheckResponse health() {
        Instant expires = expires();
        HealthCheckResponse.Builder b = HealthCheckResponse.builder().status(true)
                .detail("expires", expires.toString());
        if (expires.isBefore(clock.instant().plus(settings.expiryWarning()))) {
            b.detail("warning", "the serving certificate expires at " + expires + ", within "
                    + settings.socket() + ".expiry-warning (" + settings.expiryWarning() + "); replace "
                    + (settings.pkcs12() != null ? settings.pkcs12() : settings.certificate()));
        }
        return b.build();
    }

    /** What {@link #identify(PeerInfo)} found for one connection, good while its material and dates hold. */
    private record Checked(Material material, Certificate[] chain, PeerIdentity identity, Instant from,
                           Instant until) {
    }

    // Per connection (Helidon keeps one PeerInfo per TLS session of a connection): the session's chain is fixed,
    // so it is read once (reading "no certificate" throws an exception each time) and verified again only when
    // the material is reloaded or the clock leaves the chain's validity. Weak keys: closed connections drop out.
    private final Map<PeerInfo, Checked> connections = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * {@link #identify(Certificate[])} for a request's connection, remembered per connection: the same answer as
     * verifying on every request, since it depends only on the chain, the current anchors and the date.
     *
     * @throws SignetException UNAUTHENTICATED if the chain does not verify (not remembered: asked again next time)
     */
    PeerIdentity identify(PeerInfo peer) {
        Material current = material;
        Instant now = clock.instant();
        Checked c = connections.get(peer);
        if (c != null && c.material() == current && !now.isBefore(c.from()) && !now.isAfter(c.until())) {
            return c.identity();
        }
        Certificate[] chain = c != null ? c.chain() : peer.tlsCertificates().orElse(null);
        PeerIdentity identity = identify(chain);
        Instant from = Instant.MIN;
        Instant until = Instant.MAX;
        if (chain != null) {
            for (Certificate cert : chain) {
                X509Certificate x = (X509Certificate) cert;
                from = max(from, x.getNotBefore().toInstant());
                until = min(until, x.getNotAfter().toInstant());
            }
        }
        connections.put(peer, new Checked(current, chain, identity, from, until));
        return identity;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /**
     * The verified identity of a client certificate chain, checked against the current anchors: an X.509-SVID
     * (a certificate with a {@code spiffe://} URI SAN, which must be its only URI SAN) only against its own trust
     * domain's bundle; any other certificate against every configured bundle.
     *
     * @return null when no certificate was presented
     * @throws SignetException UNAUTHENTICATED if the chain does not verify (the message says why, never the key)
     */
    PeerIdentity identify(Certificate[] presented) {
        if (presented == null || presented.length == 0) {
            return null;
        }
        X509Certificate[] chain = Arrays.stream(presented).map(c -> (X509Certificate) c)
                .toArray(X509Certificate[]::new);
        Map<String, Set<TrustAnchor>> anchors = material.anchors();
        List<String> uris = uriSans(chain[0]);
        String spiffeId = uris.stream().filter(u -> u.startsWith("spiffe://")).findFirst().orElse(null);
        Set<TrustAnchor> trusted;
        if (spiffeId != null) {
            if (uris.size() != 1) {
                throw new SignetException(Code.UNAUTHENTICATED, "an X.509-SVID carries exactly one URI SAN; this"
                        + " client certificate has " + uris.size());
            }
            String domain = ClientCertificate.trustDomainOf(spiffeId);
            trusted = anchors.get(domain);
            if (trusted == null) {
                throw new SignetException(Code.UNAUTHENTICATED, "no trust bundle is configured for SPIFFE trust"
                        + " domain " + domain + " (" + settings.socket() + ".client-trust)");
            }
        } else {
            trusted = new HashSet<>();
            anchors.values().forEach(trusted::addAll);
        }
        verify(chain, trusted, spiffeId != null ? "trust domain " + ClientCertificate.trustDomainOf(spiffeId)
                : "any configured trust domain");
        return new PeerIdentity(spiffeId, chain[0].getSubjectX500Principal());
    }

    private void verify(X509Certificate[] chain, Set<TrustAnchor> trusted, String against) {
        if (trusted.isEmpty()) {
            throw new SignetException(Code.UNAUTHENTICATED, "client certificates are not trusted on this socket");
        }
        try {
            List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
            // The anchor itself is not part of the path.
            path.removeIf(c -> trusted.stream().anyMatch(a -> a.getTrustedCert().equals(c)));
            PKIXParameters params = new PKIXParameters(trusted);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            if (!path.isEmpty() && path.getFirst().getExtendedKeyUsage() != null
                    && !path.getFirst().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2")
                    && !path.getFirst().getExtendedKeyUsage().contains("2.5.29.37.0")) {
                throw new SignetException(Code.UNAUTHENTICATED, "the client certificate is not for client"
                        + " authentication (extended key usage)");
            }
        } catch (GeneralSecurityException e) {
            throw new SignetException(Code.UNAUTHENTICATED, "the client certificate does not verify against "
                    + against + ": " + e.getMessage());
        }
    }

    private static List<String> uriSans(X509Certificate cert) {
        List<String> uris = new ArrayList<>();
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (((Integer) san.getFirst()) == 6) {
                        uris.add((String) san.get(1));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new SignetException(Code.UNAUTHENTICATED, "the client certificate's SANs cannot be parsed");
        }
        return uris;
    }

    private byte[] fingerprint() throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Path p : settings.files()) {
                d.update(p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update(Files.readAllBytes(p));
            }
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Material load() {
        String where = settings.socket();
        try {
            byte[] fingerprint = fingerprint();
            char[] password = settings.password(env);
            PrivateKey key;
            X509Certificate[] chain;
            if (settings.pkcs12() != null) {
                KeyStore p12 = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(settings.pkcs12())) {
                    p12.load(in, password == null ? new char[0] : password);
                }
                String alias = Collections.list(p12.aliases()).stream().filter(a -> isKey(p12, a)).findFirst()
                        .orElseThrow(() -> new SignetException(Code.INVALID_ARGUMENT, where + ".pkcs12 "
                                + settings.pkcs12() + " holds no private key entry"));
                key = (PrivateKey) p12.getKey(alias, password == null ? new char[0] : password);
                chain = Arrays.stream(p12.getCertificateChain(alias)).map(c -> (X509Certificate) c)
                        .toArray(X509Certificate[]::new);
            } else {
                chain = readCertificates(settings.certificate()).toArray(X509Certificate[]::new);
                if (chain.length == 0) {
                    throw new SignetException(Code.INVALID_ARGUMENT, where + ".certificate " + settings.certificate()
                            + " holds no PEM certificate");
                }
                key = readKey(settings.privateKey(), password);
            }
            if (!matches(key, chain[0])) {
                throw new SignetException(Code.INVALID_ARGUMENT, where + ": the private key does not belong to the"
                        + " first certificate of the chain");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] transientPassword = "signet-in-memory".toCharArray();
            ks.setKeyEntry("serving", key, transientPassword, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(ks, transientPassword);
            Map<String, Set<TrustAnchor>> anchors = new TreeMap<>();
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (var e : new TreeMap<>(settings.clientTrust()).entrySet()) {
                List<X509Certificate> bundle = readCertificates(e.getValue());
                if (bundle.isEmpty()) {
                    throw new SignetException(Code.INVALID_ARGUMENT, where + ".client-trust." + e.getKey() + ": "
                            + e.getValue() + " holds no PEM certificate");
                }
                Set<TrustAnchor> set = new HashSet<>();
                for (X509Certificate c : bundle) {
                    set.add(new TrustAnchor(c, null));
                    trust.setCertificateEntry(e.getKey() + "#" + set.size(), c);
                }
                anchors.put(e.getKey(), Set.copyOf(set));
            }
            X509ExtendedTrustManager tm = null;
            if (!anchors.isEmpty()) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                tmf.init(trust);
                tm = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
            }
            return new Material(fingerprint, (X509ExtendedKeyManager) kmf.getKeyManagers()[0], chain, tm,
                    Map.copyOf(anchors));
        } catch (IOException | GeneralSecurityException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, where + ": cannot load the TLS key and certificates: "
                    + e.getMessage());
        }
    }

    private static boolean isKey(KeyStore ks, String alias) {
        try {
            return ks.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Signs and verifies a probe, so a key for another certificate is refused at load, not at the first handshake. */
    private static boolean matches(PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new SignetException(Code.INVALID_ARGUMENT, "unsupported TLS key type "
                    + key.getAlgorithm());
        };
        byte[] probe = "signet tls key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.security.Signature s = java.security.Signature.getInstance(alg);
        s.initSign(key);
        s.update(probe);
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(probe);
        return s.verify(sig);
    }

    static List<X509Certificate> readCertificates(Path file) throws IOException, CertificateException {
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (Reader r = Files.newBufferedReader(file); PEMParser pem = new PEMParser(r)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof org.bouncycastle.cert.X509CertificateHolder h) {
                    certs.add((X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(h.getEncoded())));
                }
            }
        }
        return certs;
    }

    private PrivateKey readKey(Path file, char[] password) throws IOException {
        String where = settings.socket() + ".private-key " + file;
        try (Reader r = Files.newBufferedReader(file); PEMParser pem = new PEMParser(r)) {
            Object o = pem.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            try {
                if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
                    requirePassword(password, where);
                    return converter.getPrivateKey(enc.decryptPrivateKeyInfo(
                            new JceOpenSSLPKCS8DecryptorProviderBuilder().build(password)));
                }
                if (o instanceof PEMEncryptedKeyPair enc) {
                    requirePassword(password, where);
                    return converter.getPrivateKey(enc.decryptKeyPair(new JcePEMDecryptorProviderBuilder()
                            .build(password)).getPrivateKeyInfo());
                }
                if (o instanceof PEMKeyPair pair) {
                    // SEC1 and PKCS#1 files need not carry the public key.
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            } catch (org.bouncycastle.operator.OperatorCreationException
                     | org.bouncycastle.pkcs.PKCSException | org.bouncycastle.openssl.EncryptionException e) {
                // Never the password itself.
                throw new SignetException(Code.INVALID_ARGUMENT, where + " cannot be decrypted with the configured"
                        + " password");
            }
            throw new SignetException(Code.INVALID_ARGUMENT, where + " holds no PEM private key");
        }
    }

    private static void requirePassword(char[] password, String where) {
        if (password == null) {
            throw new SignetException(Code.INVALID_ARGUMENT, where + " is encrypted: set key-password-env or"
                    + " key-password-file");
        }
    }

    @Override
    public void close() {
        if (polling != null) {
            polling.cancel(false);
        }
    }

    /** Reads the current material at every handshake. */
    private final class CurrentKeyManager extends X509ExtendedKeyManager {
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return material.keyManager().getServerAliases(keyType, issuers);
        }

        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return material.keyManager().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return material.keyManager().chooseEngineServerAlias(keyType, issuers, engine);
        }

        // The alias is always "serving"; a reload between choosing it and reading chain and key can pair an old
        // chain with a new key, and then that one handshake fails and the client retries.
        public X509Certificate[] getCertificateChain(String alias) {
            return material.keyManager().getCertificateChain(alias);
        }

        public PrivateKey getPrivateKey(String alias) {
            return material.keyManager().getPrivateKey(alias);
        }
    }

    private final class CurrentTrustManager extends X509ExtendedTrustManager {
        private X509ExtendedTrustManager current() throws CertificateException {
            X509ExtendedTrustManager tm = material.trustManager();
            if (tm == null) {
                throw new CertificateException("client certificates are not trusted on this socket");
            }
            return tm;
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            current().checkClientTrusted(chain, authType, socket);
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            current().checkClientTrusted(chain, authType, engine);
        }

        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().checkClientTrusted(chain, authType);
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("server side only");
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("server side only");
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("server side only");
        }

        public X509Certificate[] getAcceptedIssuers() {
            X509ExtendedTrustManager tm = material.trustManager();
            return tm == null ? new X509Certificate[0] : tm.getAcceptedIssuers();
        }
    }

    @Override
    public String toString() {
        return "ServingTls[" + settings.socket() + "]";
    }
}
