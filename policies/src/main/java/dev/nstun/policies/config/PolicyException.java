package dev.nstun.policies.config;

import java.io.Serial;
import java.util.List;
import java.util.stream.Collectors;

/** A policy file could not be loaded; {@link #problems()} lists every problem found, in file order. */
public final class PolicyException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    public PolicyException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a PolicyException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** Returns the problems, sorted by line and column. */
    public List<Problem> problems() {
        return problems;
    }
}
