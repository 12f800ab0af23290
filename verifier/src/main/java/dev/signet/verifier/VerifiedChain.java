package dev.signet.verifier;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A chained credential whose root verified as a Signet token and whose every link verified against the element
 * before it (signer, hash, depth, expiry, narrowing). With no links it is just the token.
 *
 * @param links root's first delegate first
 */
public record VerifiedChain(String credential, VerifiedToken root, List<Link> links) {

    /**
     * One verified link.
     *
     * @param signerJkt the thumbprint of the key that signed it (the previous element's {@code cnf.jkt})
     * @param boundJkt  its {@code cnf.jkt}: the next holder's key
     */
    public record Link(String jti, String actor, String audience, Instant issuedAt, Instant expiresAt, int depth,
                       List<VerifiedToken.Grant> grants, String signerJkt, String boundJkt) {
        public Link {
            grants = List.copyOf(grants);
        }
    }

    public VerifiedChain {
        links = List.copyOf(links);
    }

    /** The authority the final holder has: the last link's, or the root's when there is no link. */
    public List<VerifiedToken.Grant> grants() {
        return links.isEmpty() ? root.grants() : links.getLast().grants();
    }

    /** The key every use must be proven with (DPoP): the last link's {@code cnf.jkt}, or the root's. */
    public Optional<String> boundJkt() {
        return links.isEmpty() ? root.boundJkt() : Optional.of(links.getLast().boundJkt());
    }

    public String audience() {
        return links.isEmpty() ? root.audience() : links.getLast().audience();
    }

    public Instant expiresAt() {
        return links.isEmpty() ? root.expiresAt() : links.getLast().expiresAt();
    }

    /** {@code signet_depth} counted from the issuer's first token: the root's depth plus the links. */
    public int depth() {
        return root.depth() + links.size();
    }

    /** Every actor, current (the final holder) first, as in a token's nested {@code act}. */
    public List<String> actors() {
        List<String> actors = new ArrayList<>();
        for (Link l : links.reversed()) {
            actors.add(l.actor());
        }
        actors.addAll(root.actors());
        return actors;
    }

    /** Whether the final holder may do {@code action} on {@code resource}; possession is not checked here. */
    public Decision allows(String resource, String action) {
        return VerifiedToken.allows(grants(), resource, action);
    }

    @Override
    public String toString() {
        return "VerifiedChain[root=" + root + ", links=" + links.size() + ", actors=" + actors() + "]";
    }
}
