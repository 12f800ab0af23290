package dev.signet.api;

import dev.signet.issuance.ClientCertificate;
import dev.signet.issuance.CredentialHash;
import dev.signet.issuance.PeerIdentity;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;
import io.helidon.webserver.http.ServerRequest;

import java.util.function.Function;

/**
 * Who may use the admin socket: the admin bearer credential, the admin client certificate, or both when both
 * are configured (each checked on every request).
 */
final class AdminAuthentication {

    private final CredentialHash credential;
    private final ClientCertificate certificate;
    private final Function<ServerRequest, PeerIdentity> peers;

    AdminAuthentication(CredentialHash credential, ClientCertificate certificate,
                        Function<ServerRequest, PeerIdentity> peers) {
        this.credential = credential;
        this.certificate = certificate;
        this.peers = peers;
    }

    /** @throws SignetException UNAUTHENTICATED if a configured credential is missing or wrong */
    void check(ServerRequest req) {
        checkCredential(RequestBodies.bearer(req));
        checkCertificate(req);
    }

    /** True when an admin credential is configured (the key timeline page then asks for it). */
    boolean needsCredential() {
        return credential != null;
    }

    /** @throws SignetException UNAUTHENTICATED if a credential is configured and {@code presented} is not it */
    void checkCredential(String presented) {
        if (credential != null && (presented == null || !credential.matches(presented))) {
            throw new SignetException(Code.UNAUTHENTICATED, "an admin credential is required");
        }
    }

    /** @throws SignetException UNAUTHENTICATED if an admin client certificate is configured and not presented */
    void checkCertificate(ServerRequest req) {
        if (certificate != null) {
            PeerIdentity peer = peers.apply(req);
            if (peer == null) {
                throw new SignetException(Code.UNAUTHENTICATED, "the admin client certificate is required ("
                        + certificate + ")");
            }
            if (!certificate.matches(peer)) {
                throw new SignetException(Code.UNAUTHENTICATED, "the client certificate (" + peer.describe()
                        + ") is not the admin's (" + certificate + ")");
            }
        }
    }
}
