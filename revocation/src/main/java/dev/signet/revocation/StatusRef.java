package dev.signet.revocation;

/** Where one token's status bit lives: list {@code list}, bit {@code idx}; {@code uri} is the list's absolute URI. */
public record StatusRef(String list, int idx, String uri) {

    /** The token's {@code status} claim value, as JSON. */
    public String claimJson() {
        return "{\"status_list\":{\"idx\":" + idx + ",\"uri\":\"" + uri + "\"}}";
    }
}
