package dev.signet.issuance;

import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import javax.security.auth.x500.X500Principal;
import java.util.regex.Pattern;

/**
 * The client certificate a minter (or the admin) authenticates with: a SPIFFE ID, exact or a pattern, or a
 * subject DN. A SPIFFE ID {@code spiffe://<trust-domain>/<path>} is matched as the resource
 * {@code spiffe:<trust-domain>/<path>} under the resource grammar (grammar/README.md), so {@code *} is one path
 * segment and a trailing {@code **} one or more; the trust domain is never a wildcard, because each trust domain
 * has its own anchors and one domain's CA must not assert another's IDs. A subject is compared in RFC 4514
 * canonical form (case, spacing and attribute order of equal RDNs do not matter).
 */
public final class ClientCertificate {

    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    private final String text;
    private final String trustDomain;
    private final ResourcePattern spiffe;
    private final String canonicalSubject;

    private ClientCertificate(String text, String trustDomain, ResourcePattern spiffe, String canonicalSubject) {
        this.text = text;
        this.trustDomain = trustDomain;
        this.spiffe = spiffe;
        this.canonicalSubject = canonicalSubject;
    }

    /**
     * @throws SignetException INVALID_ARGUMENT if the text is not a SPIFFE ID or pattern (the message says why)
     */
    public static ClientCertificate spiffeId(String text) {
        String[] parts = splitSpiffeId(text);
        if (parts[0].contains("*")) {
            throw new SignetException(Code.INVALID_ARGUMENT, "spiffe-id '" + text + "': the trust domain cannot be a"
                    + " wildcard; list one client-certificate per trust domain");
        }
        try {
            return new ClientCertificate(text, parts[0], ResourcePattern.parse(resourceForm(parts)), null);
        } catch (GrammarException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "spiffe-id '" + text + "': " + e.getMessage());
        }
    }

    /** @throws SignetException INVALID_ARGUMENT if the text is not an RFC 4514 distinguished name */
    public static ClientCertificate subject(String dn) {
        try {
            return new ClientCertificate(dn, null, null, new X500Principal(dn).getName(X500Principal.CANONICAL));
        } catch (IllegalArgumentException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "subject '" + dn + "' is not an RFC 4514 distinguished"
                    + " name like 'CN=minter,O=Example': " + e.getMessage());
        }
    }

    /**
     * Checks a SPIFFE ID taken from a certificate, returning its trust domain.
     *
     * @throws SignetException UNAUTHENTICATED if it is not a SPIFFE ID without wildcards
     */
    public static String trustDomainOf(String spiffeId) {
        try {
            String[] parts = splitSpiffeId(spiffeId);
            if (parts[0].equals("*") || parts[1].contains("*")) {
                throw new SignetException(Code.UNAUTHENTICATED, "wildcard");
            }
            ResourcePattern.parse(resourceForm(parts));
            return parts[0];
        } catch (SignetException | GrammarException e) {
            throw new SignetException(Code.UNAUTHENTICATED, "the client certificate's URI SAN is not a valid SPIFFE ID");
        }
    }

    /** {trust domain, path after the domain (may be empty)}. */
    private static String[] splitSpiffeId(String text) {
        if (text == null || !text.startsWith("spiffe://")) {
            throw new SignetException(Code.INVALID_ARGUMENT, "a SPIFFE ID starts with spiffe://, not '" + text + "'");
        }
        String rest = text.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        String domain = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (!domain.equals("*") && !TRUST_DOMAIN.matcher(domain).matches()) {
            throw new SignetException(Code.INVALID_ARGUMENT, "SPIFFE ID '" + text + "': the trust domain is lowercase"
                    + " letters, digits, '.', '-' and '_'");
        }
        return new String[] {domain, path};
    }

    private static String resourceForm(String[] parts) {
        return "spiffe:" + parts[0] + parts[1];
    }

    /** The trust domain whose anchors must have issued the certificate; null for a subject match. */
    public String trustDomain() {
        return trustDomain;
    }

    public boolean matches(PeerIdentity peer) {
        if (peer == null) {
            return false;
        }
        if (spiffe != null) {
            return peer.spiffeId() != null && spiffe.matches(resourceForm(splitSpiffeId(peer.spiffeId())));
        }
        return canonicalSubject.equals(peer.subject().getName(X500Principal.CANONICAL));
    }

    @Override
    public String toString() {
        return spiffe != null ? "spiffe-id " + text : "subject " + text;
    }
}
