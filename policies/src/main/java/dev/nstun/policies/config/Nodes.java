package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads composed YAML nodes against the schema: each accessor either returns the value or records
 * a problem at the node ("expected …, got …") and returns empty, so that reading goes on and
 * every problem of the file is found.
 */
final class Nodes {
    private static final int QUOTED_LENGTH = 40;

    private final Problems problems;

    Nodes(Problems problems) {
        this.problems = problems;
    }

    Problems problems() {
        return problems;
    }

    /** Returns how a node reads in a message: {@code a map}, {@code a list}, {@code nothing}, {@code 'text'}. */
    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a map";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (node instanceof ScalarNode s) {
            return isNull(s) ? "nothing" : quote(s.getValue());
        }
        return "an unknown node";
    }

    /** Returns the text in quotes, shortened when long. */
    static String quote(String text) {
        String shown = text.length() > QUOTED_LENGTH ? text.substring(0, QUOTED_LENGTH) + "…" : text;
        return "'" + shown.replace("\n", "\\n") + "'";
    }

    /** Returns whether the node is YAML null ({@code ~}, {@code null}, or nothing at all). */
    static boolean isNull(Node node) {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    Optional<MappingNode> map(Node node, String expected) {
        if (node instanceof MappingNode m) {
            return Optional.of(m);
        }
        problems.add(node, "expected " + expected + ", got " + describe(node));
        return Optional.empty();
    }

    Optional<SequenceNode> list(Node node, String expected) {
        if (node instanceof SequenceNode s) {
            return Optional.of(s);
        }
        problems.add(node, "expected " + expected + ", got " + describe(node));
        return Optional.empty();
    }

    /** Returns the text of a scalar that is not null. */
    Optional<String> text(Node node, String expected) {
        if (node instanceof ScalarNode s && !isNull(s)) {
            return Optional.of(s.getValue());
        }
        problems.add(node, "expected " + expected + ", got " + describe(node));
        return Optional.empty();
    }

    /** Returns {@code true} or {@code false} (YAML 1.2 core schema spellings). */
    Optional<Boolean> bool(Node node, String key) {
        Optional<String> text = text(node, "true or false for '" + key + "'");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        switch (text.get()) {
            case "true", "True", "TRUE" -> {
                return Optional.of(true);
            }
            case "false", "False", "FALSE" -> {
                return Optional.of(false);
            }
            default -> {
                String lower = text.get().toLowerCase(Locale.ROOT);
                String hint = switch (lower) {
                    case "yes", "on", "y" -> " (YAML 1.2 reads '" + text.get() + "' as text: write true)";
                    case "no", "off", "n" -> " (YAML 1.2 reads '" + text.get() + "' as text: write false)";
                    default -> "";
                };
                problems.add(node, "expected true or false for '" + key + "', got " + describe(node) + hint);
                return Optional.empty();
            }
        }
    }

    /**
     * Returns the value nodes of a key that takes one value or a list of values. Items that are
     * not plain values are reported and left out; an empty list is reported.
     */
    List<ScalarNode> values(Node node, String key, String valueKind) {
        List<ScalarNode> out = new ArrayList<>();
        if (node instanceof ScalarNode s && !isNull(s)) {
            out.add(s);
            return out;
        }
        if (!(node instanceof SequenceNode seq)) {
            problems.add(node, "expected " + valueKind + " or a list of them for '" + key + "', got " + describe(node));
            return out;
        }
        if (seq.getValue().isEmpty()) {
            problems.add(node, "empty list for '" + key + "': a condition without values never holds; remove the key or add values");
            return out;
        }
        for (Node item : seq.getValue()) {
            if (item instanceof ScalarNode s && !isNull(s)) {
                out.add(s);
            } else {
                problems.add(item, "expected " + valueKind + " in the list of '" + key + "', got " + describe(item));
            }
        }
        return out;
    }

    /**
     * Returns the entries of a map by key, in file order. Keys that are not plain text and
     * repeated keys are reported; of a repeated key the first entry is kept.
     */
    Map<String, NodeTuple> entries(MappingNode map) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode s) || isNull(s)) {
                problems.add(keyNode, "expected a key name, got " + describe(keyNode));
                continue;
            }
            NodeTuple first = out.putIfAbsent(s.getValue(), tuple);
            if (first != null) {
                Location firstAt = problems.at(first.getKeyNode());
                problems.add(keyNode, "duplicate key '" + s.getValue() + "' (first at line " + firstAt.line() + ", column "
                        + firstAt.column() + ")");
            }
        }
        return out;
    }

    /**
     * Reports every key not in {@code allowed}, with the hint {@code hints} gives for it
     * (for spellings of other tools) or else the nearest allowed key.
     *
     * @return the allowed keys suggested for unknown ones; a reader does not also report these
     *     as missing, since the misspelling already says where they are
     */
    Set<String> rejectUnknownKeys(Map<String, NodeTuple> entries, String where, List<String> allowed, Map<String, String> hints) {
        Set<String> suggested = new HashSet<>();
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            String key = e.getKey();
            if (allowed.contains(key)) {
                continue;
            }
            String hint = hints.get(key.toLowerCase(Locale.ROOT));
            Optional<String> closest = Suggest.closest(key, allowed);
            closest.ifPresent(suggested::add);
            String advice = hint != null ? "; " + hint : closest.map(c -> "; did you mean '" + c + "'?").orElse("");
            problems.add(e.getValue().getKeyNode(), "unknown key " + quote(key) + " in " + where + " (expected one of: "
                    + String.join(", ", allowed) + ")" + advice);
        }
        return suggested;
    }

    /** Returns the value node of a key, or empty. */
    static Optional<Node> value(Map<String, NodeTuple> entries, String key) {
        return Optional.ofNullable(entries.get(key)).map(NodeTuple::getValueNode);
    }

    /** Returns the key node of a key, or empty. */
    static Optional<Node> keyNode(Map<String, NodeTuple> entries, String key) {
        return Optional.ofNullable(entries.get(key)).map(NodeTuple::getKeyNode);
    }
}
