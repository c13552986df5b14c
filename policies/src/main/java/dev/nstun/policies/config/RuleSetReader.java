package dev.nstun.policies.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Reads the {@code rule-sets} list, one {@code {name, file, format[, behavior]}} map per set, and
 * loads each file ({@link RuleSetFile}). The files are read each time the policy is, so a reload
 * reads them again.
 */
final class RuleSetReader {
    static final List<String> KEYS = List.of("name", "file", "format", "behavior");
    private static final Map<String, String> HINTS = Map.of(
            "path", "did you mean 'file'? (clash's 'path')",
            "type", "rule sets are local files, named with 'file' (clash's type: file)",
            "url", "nstun reads local files only: download the list and name it with 'file'",
            "interval", "the files are read again on reload (SIGHUP or nstun reload), not on a timer");
    private static final int MAX_NAME_LENGTH = 64;

    /** What the section declared: the sets that loaded, by name, and every declared name (loaded or not). */
    record Declared(Map<String, RuleSet> sets, Set<String> names) {
        static final Declared NONE = new Declared(Map.of(), Set.of());
    }

    private final Nodes nodes;
    private final Problems problems;
    private final Environment environment;
    private final Path baseDir;
    private final RuleSetFile.Budget budget = new RuleSetFile.Budget();
    private final Map<String, RuleSet> sets = new LinkedHashMap<>();
    private final Map<String, Node> names = new HashMap<>();

    RuleSetReader(Nodes nodes, Environment environment, Path baseDir) {
        this.nodes = nodes;
        this.problems = nodes.problems();
        this.environment = environment;
        this.baseDir = baseDir;
    }

    Declared read(Node list) {
        nodes.list(list, "a list of rule sets, e.g. - {name: ads, file: ads.yaml, format: clash, behavior: domain}")
                .ifPresent(seq -> seq.getValue().forEach(this::readOne));
        return new Declared(sets, new HashSet<>(names.keySet()));
    }

    private void readOne(Node item) {
        Optional<MappingNode> map = nodes.map(item, "a rule set such as {name: ads, file: ads.yaml, format: clash}");
        if (map.isEmpty()) {
            return;
        }
        int before = problems.count();
        Map<String, NodeTuple> entries = nodes.entries(map.get());
        Set<String> misspelled = nodes.rejectUnknownKeys(entries, "rule set", KEYS, HINTS);
        Optional<String> name = required(entries, "name", "the name rules give in rule-set", misspelled, map.get());
        name.ifPresent(n -> checkName(n, Nodes.value(entries, "name").orElseThrow()));
        Optional<String> file = required(entries, "file", "the path of the file, relative to the policy's directory", misspelled,
                map.get());
        Optional<RuleSetFile.Format> format = required(entries, "format", "clash or hosts", misspelled, map.get())
                .flatMap(f -> choice(f, RuleSetFile.Format.values(), RuleSetFile.Format::label, Nodes.value(entries, "format")
                        .orElseThrow(), "format"));
        RuleSetFile.Behavior behavior = RuleSetFile.Behavior.CLASSICAL;
        Optional<Node> behaviorNode = Nodes.value(entries, "behavior");
        if (behaviorNode.isPresent()) {
            Optional<RuleSetFile.Behavior> read = nodes.text(behaviorNode.get(), "classical, domain or ipcidr")
                    .flatMap(b -> choice(b, RuleSetFile.Behavior.values(), RuleSetFile.Behavior::label, behaviorNode.get(), "behavior"));
            behavior = read.orElse(behavior);
            if (format.isPresent() && format.get() != RuleSetFile.Format.CLASH) {
                problems.add(behaviorNode.get(), "'behavior' applies to format clash only (a hosts list holds names)");
            }
        }
        if (problems.count() != before) {
            return;
        }
        Node fileNode = Nodes.value(entries, "file").orElseThrow();
        Path path;
        String shown;
        try {
            path = path(file.get());
            shown = shown(file.get(), path);
        } catch (InvalidPathException e) {
            problems.add(fileNode, "invalid path " + Nodes.quote(file.get()) + ": " + e.getReason());
            return;
        }
        if (file.get().startsWith("~") && !file.get().equals("~") && !file.get().startsWith("~/")) {
            problems.add(fileNode, "'~user' paths are not supported in file: write ~/… or a full path");
            return;
        }
        String text;
        try {
            text = environment.readRuleSet(path);
        } catch (UserFile.Unreadable e) {
            problems.add(fileNode, "cannot read rule set " + name.get() + " from " + shown + ": " + e.getMessage());
            return;
        }
        Problems own = new Problems(shown);
        RuleSetFile.read(name.get(), text, format.get(), behavior, own, budget).ifPresent(set -> sets.put(set.name(), set));
        problems.addAll(own);
    }

    private Optional<String> required(Map<String, NodeTuple> entries, String key, String expected, Set<String> misspelled,
                                      MappingNode map) {
        Optional<Node> node = Nodes.value(entries, key);
        if (node.isEmpty()) {
            if (!misspelled.contains(key)) {
                problems.add(map, "rule set has no '" + key + "' (" + expected + ")");
            }
            return Optional.empty();
        }
        return nodes.text(node.get(), expected + " for '" + key + "'");
    }

    private <E> Optional<E> choice(String text, E[] values, Function<E, String> label, Node node, String key) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (E value : values) {
            if (label.apply(value).equals(lower)) {
                return Optional.of(value);
            }
        }
        List<String> labels = Arrays.stream(values).map(label).toList();
        String hint = key.equals("format") && (lower.equals("yaml") || lower.equals("text"))
                ? " (clash's yaml and text forms are both format: clash; nstun tells them apart by the content)"
                : key.equals("format") && lower.equals("mrs") ? " (the binary mrs form is not supported: convert it with "
                + "mihomo convert-ruleset to text)" : Suggest.didYouMean(lower, labels);
        problems.add(node, "unknown " + key + " " + Nodes.quote(text) + " (expected one of: " + String.join(", ", labels) + ")" + hint);
        return Optional.empty();
    }

    private void checkName(String name, Node node) {
        if (name.length() > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isWhitespace)) {
            problems.add(node, "a rule set name is 1 to " + MAX_NAME_LENGTH + " characters without spaces, got " + Nodes.quote(name));
            return;
        }
        Node first = names.putIfAbsent(name, node);
        if (first != null) {
            Location at = problems.at(first);
            problems.add(node, "duplicate rule set name '" + name + "' (first at line " + at.line() + ", column " + at.column() + ")");
        }
    }

    /** Resolves {@code ~/…} against the home directory and other relative paths against the policy's directory. */
    private Path path(String text) {
        if (text.equals("~") || text.startsWith("~/")) {
            return environment.home().resolve(text.substring(Math.min(2, text.length())));
        }
        return baseDir.resolve(text);
    }

    /** Returns the path as problems show it: as written when absolute or under ~, else next to the policy as the user named it. */
    private String shown(String written, Path resolved) {
        if (written.startsWith("~") || Path.of(written).isAbsolute()) {
            return resolved.toString();
        }
        Path policy = Path.of(problems.file());
        return policy.getParent() == null ? written : policy.resolveSibling(written).toString();
    }
}
