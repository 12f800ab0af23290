package dev.signet.issuance;

import javax.security.auth.x500.X500Principal;

/**
 * Who a verified client certificate says the caller is: its SPIFFE ID (null when the certificate is not an
 * X.509-SVID) and its subject. Built only after the chain was checked against the right trust anchors.
 */
public record PeerIdentity(String spiffeId, X500Principal subject) {

    /** What logs and errors may name: the SPIFFE ID, or the subject in RFC 4514 form. */
    public String describe() {
        return spiffeId != null ? spiffeId : "subject '" + subject.getName(X500Principal.RFC2253) + "'";
    }
}
