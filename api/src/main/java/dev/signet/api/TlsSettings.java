package dev.signet.api;

import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.config.Config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * TLS on one socket ({@code signet.tls.*} or {@code signet.admin.tls.*}): the serving chain and key from PEM
 * files or a PKCS#12 file, the key's password from an environment variable or a file (never the configuration
 * text), the protocols, how often the files are checked for a new version, how early an expiring certificate is
 * warned about, and the client-certificate trust anchors per SPIFFE trust domain.
 *
 * @param certificate   PEM chain, leaf first (null with pkcs12)
 * @param privateKey    PEM private key: PKCS#8 (optionally encrypted), PKCS#1 or SEC1 (null with pkcs12)
 * @param pkcs12        a PKCS#12 file holding one key entry (null with PEM files)
 * @param clientTrust   trust domain → PEM bundle of its CA certificates; empty when no client certificates are asked for
 */
public record TlsSettings(String socket, Path certificate, Path privateKey, Path pkcs12, String passwordEnv,
                          Path passwordFile, List<String> protocols, Duration reloadInterval,
                          Duration expiryWarning, Map<String, Path> clientTrust) {

    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsSettings {
        protocols = List.copyOf(protocols);
        clientTrust = Map.copyOf(clientTrust);
    }

    /** The files whose change triggers a reload. */
    List<Path> files() {
        List<Path> files = new ArrayList<>();
        for (Path p : new Path[] {certificate, privateKey, pkcs12, passwordFile}) {
            if (p != null) {
                files.add(p);
            }
        }
        files.addAll(new TreeMap<>(clientTrust).values());
        return files;
    }

    /** @return null when the password is neither in an environment variable nor a file (an unencrypted key) */
    char[] password(Function<String, String> env) {
        if (passwordEnv != null) {
            String v = env.apply(passwordEnv);
            if (v == null || v.isEmpty()) {
                throw new SignetException(Code.INVALID_ARGUMENT, socket + ".key-password-env names " + passwordEnv
                        + ", which is not set");
            }
            return v.toCharArray();
        }
        if (passwordFile != null) {
            try {
                return Files.readString(passwordFile).strip().toCharArray();
            } catch (java.io.IOException e) {
                throw new SignetException(Code.INVALID_ARGUMENT, socket + ".key-password-file " + passwordFile
                        + " cannot be read: " + e.getMessage());
            }
        }
        return null;
    }

    /**
     * @param node the {@code tls} node; absent means plain HTTP on this socket
     * @return null when the node is absent
     * @throws SignetException INVALID_ARGUMENT naming the key that is missing, contradictory or invalid
     */
    static TlsSettings from(Config node) {
        if (!node.exists()) {
            return null;
        }
        String key = node.key().toString();
        if (node.get("key-password").exists()) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + ".key-password is not read: keep the password out"
                    + " of the configuration with " + key + ".key-password-env or " + key + ".key-password-file");
        }
        Path cert = path(node, "certificate");
        Path keyFile = path(node, "private-key");
        Path p12 = path(node, "pkcs12");
        if (p12 != null ? cert != null || keyFile != null : cert == null || keyFile == null) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + " needs either certificate and private-key (PEM"
                    + " files) or pkcs12, not both");
        }
        String env = node.get("key-password-env").asString().filter(v -> !v.isBlank()).orElse(null);
        Path pwFile = path(node, "key-password-file");
        if (env != null && pwFile != null) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + ": set key-password-env or key-password-file,"
                    + " not both");
        }
        List<String> protocols = node.get("protocols").asList(String.class).orElse(List.of("TLSv1.3"));
        if (protocols.isEmpty() || !PROTOCOLS.containsAll(protocols)) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + ".protocols may list TLSv1.3 and TLSv1.2 only,"
                    + " not " + protocols);
        }
        Duration interval = SignetConfig.duration(node.get("reload-interval"), Duration.ofMinutes(1));
        Duration warning = SignetConfig.duration(node.get("expiry-warning"), Duration.ofDays(14));
        if (interval.isNegative() || interval.isZero()) {
            throw new SignetException(Code.INVALID_ARGUMENT, key + ".reload-interval must be positive");
        }
        return new TlsSettings(key, cert, keyFile, p12, env, pwFile, protocols, interval, warning,
                clientTrust(node.get("client-trust")));
    }

    /**
     * Trust domains contain dots, which configuration keys also use as separators, so the domain is the whole
     * key path below {@code client-trust}, whether the source nested it or not.
     */
    private static Map<String, Path> clientTrust(Config node) {
        Map<String, Path> trust = new TreeMap<>();
        if (!node.exists()) {
            return trust;
        }
        node.traverse().filter(Config::isLeaf).forEach(leaf -> {
            List<String> names = new ArrayList<>();
            for (Config.Key k = leaf.key(); !k.equals(node.key()); k = k.parent()) {
                names.addFirst(k.name());
            }
            String domain = String.join(".", names);
            try {
                dev.signet.issuance.ClientCertificate.trustDomainOf("spiffe://" + domain);
            } catch (SignetException e) {
                throw new SignetException(Code.INVALID_ARGUMENT, node.key() + ": '" + domain
                        + "' is not a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')");
            }
            trust.put(domain, Path.of(leaf.asString().get()));
        });
        return trust;
    }

    private static Path path(Config node, String key) {
        return node.get(key).asString().filter(v -> !v.isBlank()).map(Path::of).orElse(null);
    }
}
