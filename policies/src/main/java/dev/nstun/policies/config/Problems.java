package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/** Collects the problems of one file; the loader reports all of them, not only the first. */
final class Problems {
    private final String file;
    private final List<Problem> found = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    /** Returns the location where a node starts. */
    Location at(Node node) {
        return at(node.getStartMark());
    }

    /** Returns the location of a mark (snakeyaml counts from 0, people from 1). */
    Location at(Optional<Mark> mark) {
        return mark.map(m -> new Location(file, m.getLine() + 1, m.getColumn() + 1)).orElse(Location.nowhere(file));
    }

    void add(Node node, String message) {
        add(at(node), message);
    }

    void add(Location location, String message) {
        found.add(Problem.at(location, message));
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    /** Returns how many problems were recorded so far (a reader compares counts to know whether it failed). */
    int count() {
        return found.size();
    }

    /** Adds the problems of another file (a rule set the policy names); they are listed after this file's own. */
    void addAll(Problems other) {
        found.addAll(other.found);
    }

    /**
     * Returns the problems in file order, each once (a node reached through several aliases would
     * otherwise be reported several times): this file's first, then those of the files it names.
     */
    List<Problem> sorted() {
        return new LinkedHashSet<>(found).stream()
                .sorted(Comparator.comparing((Problem p) -> !p.file().equals(file)).thenComparing(Problem::file)
                        .thenComparingInt(Problem::line).thenComparingInt(Problem::column))
                .toList();
    }
}
