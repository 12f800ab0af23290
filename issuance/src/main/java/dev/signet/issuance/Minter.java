package dev.signet.issuance;

/** A front-end service allowed to ask Signet for tokens, within its policy. */
public record Minter(String name, CredentialHash credential, MinterPolicy policy) {

    @Override
    public String toString() {
        return "Minter[" + name + "]";
    }
}
