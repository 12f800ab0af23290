package dev.signet.grammar;

/**
 * Text that is not a resource or audience under Signet's grammar. The message names the part at fault and
 * what to write instead; the offending text appears in it with control and non-ASCII characters escaped.
 */
public final class GrammarException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    GrammarException(String message) {
        super(message);
    }
}
