package dev.signet.issuance;

import java.util.List;

/** One resource and the actions a token allows on it. */
public record ScopeItem(String resource, List<String> actions) {

    public ScopeItem {
        actions = List.copyOf(actions);
    }
}
