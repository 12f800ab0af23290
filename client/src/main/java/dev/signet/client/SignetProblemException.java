package dev.signet.client;

/** Signet refused the request; {@link #problem()} says why, typed. */
public final class SignetProblemException extends RuntimeException {

    private final transient Problem problem;

    public SignetProblemException(Problem problem) {
        super(problem.status() + " " + problem.type() + ": " + problem.detail());
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
