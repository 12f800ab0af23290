package dev.signet.client;

import com.nimbusds.jwt.SignedJWT;
import dev.signet.api.Daemon;
import dev.signet.api.SignetConfig;
import dev.signet.issuance.CredentialHash;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The client against a real daemon serving TLS 1.3: a certificate-only minter (an X.509-SVID, no bearer
 * credential) mints and batches through {@link SignetClient} with its own {@link HttpClient}, and an agent exchanges
 * the token over TLS without any client certificate.
 */
class SignetClientTlsTest {

    @TempDir
    static Path dir;
    static Daemon daemon;
    static URI base;
    static Cert serverCa;
    static Cert spiffeCa;

    record Cert(KeyPair keys, X509Certificate cert, X509Certificate issuer) {
    }

    @BeforeAll
    static void start() throws Exception {
        serverCa = issue("server CA", null, null, null);
        spiffeCa = issue("client.test SPIFFE CA", null, null, null);
        Cert server = issue("signet", serverCa, new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                KeyPurposeId.id_kp_serverAuth);
        Files.writeString(dir.resolve("server.pem"), pem(server.cert(), serverCa.cert()));
        Files.writeString(dir.resolve("server-key.pem"), pem(new JcaPKCS8Generator(server.keys().getPrivate(), null)
                .generate()));
        Files.writeString(dir.resolve("trust.pem"), pem(spiffeCa.cert()));
        Map<String, String> c = new HashMap<>();
        c.put("signet.issuer", "https://signet.test");
        c.put("signet.port", "0");
        c.put("signet.admin.port", "0");
        c.put("signet.data-dir", dir.resolve("data").toString());
        c.put("signet.admin.credential-hash", CredentialHash.of("admin-credential-0123456789abcdef").text());
        c.put("signet.backend.type", "software");
        c.put("signet.tls.certificate", dir.resolve("server.pem").toString());
        c.put("signet.tls.private-key", dir.resolve("server-key.pem").toString());
        c.put("signet.tls.client-trust.client.test", dir.resolve("trust.pem").toString());
        c.put("signet.minters.0.name", "svid-minter");
        c.put("signet.minters.0.client-certificate.spiffe-id", "spiffe://client.test/minter");
        c.put("signet.minters.0.audiences.0", "https://api.example.com");
        c.put("signet.minters.0.resources.0", "repo:acme/*");
        c.put("signet.minters.0.actions.0", "read");
        c.put("signet.minters.0.delegation.allow-unbound", "true");
        daemon = Daemon.start(SignetConfig.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().addSource(ConfigSources.create(c)).build()), Clock.systemUTC());
        base = URI.create("https://127.0.0.1:" + daemon.server().port());
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    @Test
    void certificateOnlyMinterMintsAndBatchesAndItsTokenIsExchanged() throws Exception {
        Cert svid = issue("workload", spiffeCa, new GeneralName(GeneralName.uniformResourceIdentifier,
                "spiffe://client.test/minter"), KeyPurposeId.id_kp_clientAuth);
        TokenRequest request = TokenRequest.builder("agent-7", "https://api.example.com")
                .ttl(Duration.ofMinutes(5)).allow("repo:acme/widgets", "read").build();
        Token token;
        try (HttpClient mtls = HttpClient.newBuilder().sslContext(context(svid)).build();
             SignetClient minter = SignetClient.builder(base).httpClient(mtls).build()) {
            token = minter.mint(request);
            assertEquals("svid-minter", SignedJWT.parse(token.token()).getJWTClaimsSet().getStringClaim("client_id"));
            List<BatchResult> batch = minter.mintBatch(List.of(request, TokenRequest.builder("agent-8",
                    "https://api.example.com").allow("repo:other/x", "read").build()));
            assertEquals(true, batch.get(0).ok());
            assertEquals("urn:signet:problem:permission-denied", batch.get(1).problem().type());
        }
        try (HttpClient tls = HttpClient.newBuilder().sslContext(context(null)).build();
             SignetClient agent = SignetClient.builder(base).httpClient(tls).issuer("https://signet.test").build()) {
            ExchangedToken child = agent.exchange(ExchangeRequest.builder(token.token()).actor("sub-agent-1").build());
            assertEquals("Bearer", child.tokenType());
            var claims = SignedJWT.parse(child.accessToken()).getJWTClaimsSet();
            assertEquals("svid-minter", claims.getStringClaim("client_id"));
            assertEquals("sub-agent-1", claims.getJSONObjectClaim("act").get("sub"));
            SignetProblemException anonymous = assertThrows(SignetProblemException.class, () -> agent.mint(request));
            assertEquals(401, anonymous.problem().status(), "no certificate, no credential: no minter");
        }
    }

    /** Trusts the server CA; presents {@code client} when given. */
    static SSLContext context(Cert client) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", serverCa.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (client != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("client", client.keys().getPrivate(), new char[0],
                    new X509Certificate[] {client.cert(), client.issuer()});
            kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(ks, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static Cert issue(String cn, Cert ca, GeneralName san, KeyPurposeId purpose) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        X500Name subject = new X500Name("CN=" + cn);
        X500Name issuer = ca == null ? subject : X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
        var b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(1))), subject,
                kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca == null));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(ca == null ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature));
        if (san != null) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
        }
        if (purpose != null) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        }
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(ca == null ? kp.getPrivate() : ca.keys().getPrivate())));
        return new Cert(kp, cert, ca == null ? cert : ca.cert());
    }

    private static String pem(Object... objects) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        }
        return out.toString();
    }
}
