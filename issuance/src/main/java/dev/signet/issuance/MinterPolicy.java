package dev.signet.issuance;

import dev.signet.grammar.AudiencePattern;
import dev.signet.grammar.GrammarException;
import dev.signet.grammar.ResourcePattern;
import dev.signet.spi.SignetException;
import dev.signet.spi.SignetException.Code;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What one minter may ask for: audiences and resources as patterns under Signet's grammar
 * ({@link AudiencePattern}, {@link ResourcePattern}; grammar/README.md), actions (exact, or {@code *} for any)
 * and the longest ttl. A request's audience must be matched by one audience pattern, and each of its
 * resources (which may itself be a pattern) covered by one resource pattern.
 */
public final class MinterPolicy {

    private final Set<String> audiences;
    private final List<String> resources;
    private final Set<String> actions;
    private final Duration maxTtl;
    private final Delegation delegation;
    private final RateLimit rateLimit;
    // Parsed once: policy checks are on every request's path.
    private final List<AudiencePattern> audiencePatterns;
    private final List<ResourcePattern> resourcePatterns;

    /**
     * @throws SignetException INVALID_ARGUMENT if {@code maxTtl} is not positive, or an audience or resource
     *                         pattern is not in the grammar (the message names it and says why)
     */
    public MinterPolicy(Set<String> audiences, List<String> resources, Set<String> actions, Duration maxTtl) {
        this(audiences, resources, actions, maxTtl, Delegation.DEFAULT);
    }

    /**
     * Whether this minter's tokens may be exchanged for narrower children ({@link Exchange}).
     *
     * @param enabled      false: no exchange of this minter's tokens
     * @param maxDepth     the longest chain, 1..{@value Exchange#HARD_MAX_DEPTH}
     * @param allowUnbound true: bearer (unbound) tokens may be exchanged too, and their {@code act} is then
     *                     asserted by whoever holds the parent, not proven
     */
    public record Delegation(boolean enabled, int maxDepth, boolean allowUnbound) {

        public static final Delegation DEFAULT = new Delegation(true, 3, false);

        /** @throws SignetException INVALID_ARGUMENT if maxDepth is outside 1..5 */
        public Delegation {
            if (maxDepth < 1 || maxDepth > Exchange.HARD_MAX_DEPTH) {
                throw new SignetException(Code.INVALID_ARGUMENT,
                        "delegation.max-depth must be 1.." + Exchange.HARD_MAX_DEPTH + ", not " + maxDepth);
            }
        }
    }

    /**
     * @throws SignetException INVALID_ARGUMENT if {@code maxTtl} is not positive, or an audience or resource
     *                         pattern is not in the grammar (the message names it and says why)
     */
    public MinterPolicy(Set<String> audiences, List<String> resources, Set<String> actions, Duration maxTtl,
                        Delegation delegation) {
        this(audiences, resources, actions, maxTtl, delegation, null);
    }

    /**
     * @param rateLimit this minter's quota ({@link MinterQuotas}), or null for none
     * @throws SignetException INVALID_ARGUMENT if {@code maxTtl} is not positive, or an audience or resource
     *                         pattern is not in the grammar (the message names it and says why)
     */
    public MinterPolicy(Set<String> audiences, List<String> resources, Set<String> actions, Duration maxTtl,
                        Delegation delegation, RateLimit rateLimit) {
        this.delegation = delegation;
        this.rateLimit = rateLimit;
        if (maxTtl.isNegative() || maxTtl.isZero()) {
            throw new SignetException(Code.INVALID_ARGUMENT, "a minter's max-ttl must be positive");
        }
        this.audiences = Set.copyOf(audiences);
        this.resources = List.copyOf(resources);
        this.actions = Set.copyOf(actions);
        this.maxTtl = maxTtl;
        try {
            this.audiencePatterns = this.audiences.stream().map(AudiencePattern::parse).toList();
            this.resourcePatterns = this.resources.stream().map(ResourcePattern::parse).toList();
        } catch (GrammarException e) {
            throw new SignetException(Code.INVALID_ARGUMENT, "a minter's policy: " + e.getMessage());
        }
    }

    public Set<String> audiences() {
        return audiences;
    }

    public List<String> resources() {
        return resources;
    }

    public Set<String> actions() {
        return actions;
    }

    public Duration maxTtl() {
        return maxTtl;
    }

    public Delegation delegation() {
        return delegation;
    }

    /** Empty: not limited. */
    public java.util.Optional<RateLimit> rateLimit() {
        return java.util.Optional.ofNullable(rateLimit);
    }

    /**
     * @throws SignetException INVALID_ARGUMENT if the ttl exceeds {@link #maxTtl()} or the audience or a resource
     *                         is not in the grammar; PERMISSION_DENIED if audience, a resource or an action is not
     *                         allowed
     */
    public void check(TokenRequest request) {
        if (request.ttl().compareTo(maxTtl) > 0) {
            throw new SignetException(Code.INVALID_ARGUMENT,
                    "ttl " + request.ttl().toSeconds() + "s is above this minter's maximum of " + maxTtl.toSeconds() + "s");
        }
        AudiencePattern audience = audience(request.audience());
        if (audiencePatterns.stream().noneMatch(p -> p.covers(audience))) {
            throw new SignetException(Code.PERMISSION_DENIED,
                    "audience '" + request.audience() + "' is not allowed for this minter");
        }
        for (ScopeItem item : request.scope()) {
            ResourcePattern resource = resource(item.resource());
            if (resourcePatterns.stream().noneMatch(p -> p.covers(resource))) {
                throw new SignetException(Code.PERMISSION_DENIED,
                        "resource '" + item.resource() + "' is not allowed for this minter");
            }
            for (String action : item.actions()) {
                if (!actions.contains("*") && !actions.contains(action)) {
                    throw new SignetException(Code.PERMISSION_DENIED,
                            "action '" + action + "' is not allowed for this minter");
                }
            }
        }
    }

    /**
     * A token's audience: one concrete audience in canonical form.
     *
     * @throws SignetException INVALID_ARGUMENT saying why it is not
     */
    static AudiencePattern audience(String text) {
        AudiencePattern audience = AUDIENCES.get(text);
        if (audience == null) {
            try {
                audience = AudiencePattern.parse(text);
            } catch (GrammarException e) {
                throw new SignetException(Code.INVALID_ARGUMENT, "'aud': " + e.getMessage());
            }
            remember(AUDIENCES, text, audience);
        }
        if (!audience.isConcrete()) {
            throw new SignetException(Code.INVALID_ARGUMENT,
                    "'aud' must be one audience; '*' belongs in a minter's policy, not in a token");
        }
        return audience;
    }

    /**
     * A token's resource: a resource, or a pattern that a service matches resources against.
     *
     * @throws SignetException INVALID_ARGUMENT saying why it is not in the grammar
     */
    static ResourcePattern resource(String text) {
        ResourcePattern resource = RESOURCES.get(text);
        if (resource == null) {
            try {
                resource = ResourcePattern.parse(text);
            } catch (GrammarException e) {
                throw new SignetException(Code.INVALID_ARGUMENT, "'resource': " + e.getMessage());
            }
            remember(RESOURCES, text, resource);
        }
        return resource;
    }

    /**
     * Parsed audiences and resources by their text: a request's are parsed when it is read and again when policy
     * checks it, and minters send the same few over and over. Patterns are immutable values; text outside the
     * grammar is never kept. Bounded, so random valid text only costs a re-parse.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, AudiencePattern> AUDIENCES =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.util.concurrent.ConcurrentHashMap<String, ResourcePattern> RESOURCES =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_PARSED = 4096;

    private static <P> void remember(java.util.concurrent.ConcurrentHashMap<String, P> parsed, String text, P pattern) {
        if (parsed.size() >= MAX_PARSED) {
            parsed.clear();
        }
        parsed.put(text, pattern);
    }

    @Override
    public String toString() {
        return "MinterPolicy[audiences=" + audiences + ", resources=" + resources + ", actions=" + actions
                + ", maxTtl=" + maxTtl + ", " + delegation + ", " + rateLimit + "]";
    }
}
