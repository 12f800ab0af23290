package dev.signet.issuance;

/**
 * A front-end service allowed to ask Signet for tokens, within its policy. It authenticates with a bearer
 * credential, a client certificate, or both (then both are required); at least one is set.
 */
public record Minter(String name, CredentialHash credential, ClientCertificate clientCertificate,
                     MinterPolicy policy) {

    /** @throws IllegalArgumentException if neither a credential nor a client certificate is given */
    public Minter {
        if (credential == null && clientCertificate == null) {
            throw new IllegalArgumentException("minter " + name + " needs a credential-hash, a client-certificate"
                    + " or both");
        }
    }

    /** A minter that authenticates with a bearer credential only. */
    public Minter(String name, CredentialHash credential, MinterPolicy policy) {
        this(name, credential, null, policy);
    }

    @Override
    public String toString() {
        return "Minter[" + name + "]";
    }
}
