package dev.signet.issuance;

import dev.signet.spi.SignetException;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one minter may ask for: audiences and resources (glob patterns where {@code *} matches any run
 * of characters, so {@code repo:acme/*} covers every repository of acme; without {@code *} a pattern is
 * an exact match), actions (exact, or {@code *} for any) and the longest ttl.
 */
public final class MinterPolicy {

    private final Set<String> audiences;
    private final List<String> resources;
    private final Set<String> actions;
    private final Duration maxTtl;
    // Compiled once: policy checks are on every request's path.
    private final List<Pattern> audiencePatterns;
    private final List<Pattern> resourcePatterns;

    /** @throws SignetException INVALID_ARGUMENT if {@code maxTtl} is not positive */
    public MinterPolicy(Set<String> audiences, List<String> resources, Set<String> actions, Duration maxTtl) {
        if (maxTtl.isNegative() || maxTtl.isZero()) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "a minter's max-ttl must be positive");
        }
        this.audiences = Set.copyOf(audiences);
        this.resources = List.copyOf(resources);
        this.actions = Set.copyOf(actions);
        this.maxTtl = maxTtl;
        this.audiencePatterns = this.audiences.stream().map(MinterPolicy::glob).toList();
        this.resourcePatterns = this.resources.stream().map(MinterPolicy::glob).toList();
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

    /**
     * @throws SignetException INVALID_ARGUMENT if the ttl exceeds {@link #maxTtl()};
     *                         PERMISSION_DENIED if audience, a resource or an action is not allowed
     */
    public void check(TokenRequest request) {
        if (request.ttl().compareTo(maxTtl) > 0) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "ttl " + request.ttl().toSeconds() + "s is above this minter's maximum of " + maxTtl.toSeconds() + "s");
        }
        if (audiencePatterns.stream().noneMatch(p -> p.matcher(request.audience()).matches())) {
            throw new SignetException(SignetException.Code.PERMISSION_DENIED,
                    "audience '" + request.audience() + "' is not allowed for this minter");
        }
        for (ScopeItem item : request.scope()) {
            if (resourcePatterns.stream().noneMatch(p -> p.matcher(item.resource()).matches())) {
                throw new SignetException(SignetException.Code.PERMISSION_DENIED,
                        "resource '" + item.resource() + "' is not allowed for this minter");
            }
            for (String action : item.actions()) {
                if (!actions.contains("*") && !actions.contains(action)) {
                    throw new SignetException(SignetException.Code.PERMISSION_DENIED,
                            "action '" + action + "' is not allowed for this minter");
                }
            }
        }
    }

    static boolean globMatches(String pattern, String value) {
        return glob(pattern).matcher(value).matches();
    }

    private static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (!regex.isEmpty()) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(part));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    @Override
    public String toString() {
        return "MinterPolicy[audiences=" + audiences + ", resources=" + resources + ", actions=" + actions
                + ", maxTtl=" + maxTtl + "]";
    }
}
