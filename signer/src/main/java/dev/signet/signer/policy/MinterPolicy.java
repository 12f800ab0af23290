package dev.signet.signer.policy;

import dev.signet.signer.SignetException;
import dev.signet.signer.token.ScopeItem;
import dev.signet.signer.token.TokenRequest;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one minter may ask for: audiences and resources (glob patterns where {@code *} matches any run
 * of characters, so {@code repo:acme/*} covers every repository of acme; without {@code *} a pattern is
 * an exact match), actions (exact, or {@code *} for any) and the longest ttl.
 */
public record MinterPolicy(Set<String> audiences, List<String> resources, Set<String> actions, Duration maxTtl) {

    public MinterPolicy {
        audiences = Set.copyOf(audiences);
        resources = List.copyOf(resources);
        actions = Set.copyOf(actions);
        if (maxTtl.isNegative() || maxTtl.isZero()) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT, "a minter's max-ttl must be positive");
        }
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
        if (audiences.stream().noneMatch(p -> globMatches(p, request.audience()))) {
            throw new SignetException(SignetException.Code.PERMISSION_DENIED,
                    "audience '" + request.audience() + "' is not allowed for this minter");
        }
        for (ScopeItem item : request.scope()) {
            if (resources.stream().noneMatch(p -> globMatches(p, item.resource()))) {
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
        StringBuilder regex = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (!regex.isEmpty()) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(part));
        }
        return Pattern.matches(regex.toString(), value);
    }
}
