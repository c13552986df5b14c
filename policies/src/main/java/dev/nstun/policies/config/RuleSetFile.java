package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads the content of one rule-set file into a {@link RuleSet}: a clash rule-provider list (the
 * YAML form, {@code payload:} and a list, or the text form, one entry a line; each entry
 * {@code TYPE,VALUE} for behavior classical, a name for behavior domain, a prefix for ipcidr), or
 * a hosts list (one name a line, or {@code ADDRESS NAME…} lines as in {@code /etc/hosts}). Every
 * bad entry is a problem at its line and column, up to {@link #MAX_PROBLEMS}; the entries of all
 * the sets of a policy together are bounded by a shared {@link Budget}.
 */
final class RuleSetFile {
    /** Problems listed per file: a file of garbage says so in a screenful, not a million lines. */
    static final int MAX_PROBLEMS = 20;
    /** Entries of all the rule sets of one policy together: about 120 MB of heap for the sets and their index. */
    static final int MAX_ENTRIES = 1_000_000;
    /** Clash rule types a rule set may hold, and the rule keys they stand for. */
    private static final List<String> CLASSICAL_TYPES = List.of("DOMAIN", "DOMAIN-SUFFIX", "DOMAIN-KEYWORD", "IP-CIDR", "IP-CIDR6");

    /** How a file is written. */
    enum Format {
        CLASH, HOSTS;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the entries of a clash file are (clash's {@code behavior}). */
    enum Behavior {
        CLASSICAL, DOMAIN, IPCIDR;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Entries still allowed for the policy's sets; shared by all of them. */
    static final class Budget {
        private int left = MAX_ENTRIES;
    }

    /** Stops reading a file once it has had its share of problems or the budget ran out. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    private final Problems problems;
    private final Budget budget;
    private final List<String> domains = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();
    private final List<String> wildcards = new ArrayList<>();
    private final List<String> keywords = new ArrayList<>();
    private final List<Cidr> cidrs = new ArrayList<>();
    private int reported;

    private RuleSetFile(Problems problems, Budget budget) {
        this.problems = problems;
        this.budget = budget;
    }

    /**
     * Reads a rule set; problems go to {@code problems}, whose file name is the set file's.
     *
     * @return the set, or empty when the file had any problem
     */
    static Optional<RuleSet> read(String name, String text, Format format, Behavior behavior, Problems problems, Budget budget) {
        RuleSetFile file = new RuleSetFile(problems, budget);
        int before = problems.count();
        try {
            if (format == Format.HOSTS) {
                file.readHosts(text);
            } else if (startsWithPayload(text)) {
                Optional<List<PlainItem>> plain = plainPayload(text, problems.file());
                if (plain.isPresent()) {
                    plain.get().forEach(item -> file.clashEntry(item.value(), behavior, item.at()));
                } else {
                    file.readClashYaml(text, behavior);
                }
            } else {
                file.readLines(text, (entry, at) -> file.clashEntry(entry, behavior, at));
            }
        } catch (Stop stop) {
            // The reason is among the problems already.
        }
        if (problems.count() != before) {
            return Optional.empty();
        }
        return Optional.of(new RuleSet(name, problems.file(), file.domains, file.suffixes, file.wildcards, file.keywords, file.cidrs));
    }

    /** Returns whether the first line that is not blank or a comment starts the YAML form. */
    private static boolean startsWithPayload(String text) {
        int i = 0;
        while (i < text.length()) {
            int end = text.indexOf('\n', i);
            String line = (end < 0 ? text.substring(i) : text.substring(i, end)).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                return line.startsWith("payload:") || line.equals("---");
            }
            i = end < 0 ? text.length() : end + 1;
        }
        return false;
    }

    /** One item of a payload list read without the YAML parser. */
    record PlainItem(String value, Location at) {
    }

    /**
     * Reads the payload list the way nearly every clash rule provider writes it — {@code payload:},
     * then one {@code - ENTRY}, {@code - 'ENTRY'} or {@code - "ENTRY"} a line, all indented alike,
     * comments and blank lines between — without the YAML parser, which costs several times more
     * on a list of 100 000. An entry here holds only letters, digits and {@code . , : / + * _ -},
     * where YAML reads the same text whether quoted or not. Any other line (another key, flow
     * style, an anchor, an escape, a value YAML would read as null, a map or an alias) gives
     * empty, and the file goes to the YAML parser, which is the reference.
     */
    static Optional<List<PlainItem>> plainPayload(String text, String file) {
        List<PlainItem> items = new ArrayList<>();
        boolean payloadSeen = false;
        int indent = -1;
        int line = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            line++;
            String raw = text.substring(start, end);
            start = end + 1;
            if (raw.endsWith("\r")) {
                raw = raw.substring(0, raw.length() - 1);
            }
            String content = withoutComment(raw);
            if (content == null) {
                return Optional.empty();
            }
            if (content.isBlank()) {
                continue;
            }
            if (!payloadSeen) {
                if (!content.strip().equals("payload:") || content.charAt(0) != 'p') {
                    return Optional.empty();
                }
                payloadSeen = true;
                continue;
            }
            int dash = 0;
            while (dash < content.length() && content.charAt(dash) == ' ') {
                dash++;
            }
            if (indent < 0) {
                indent = dash;
            }
            if (dash != indent || !content.startsWith("- ", dash)) {
                return Optional.empty();
            }
            int valueStart = dash + 2;
            while (valueStart < content.length() && content.charAt(valueStart) == ' ') {
                valueStart++;
            }
            String value = plainValue(content.substring(valueStart).stripTrailing());
            if (value == null) {
                return Optional.empty();
            }
            items.add(new PlainItem(value, new Location(file, line, valueStart + 1)));
        }
        return payloadSeen ? Optional.of(items) : Optional.empty();
    }

    /** Returns the line without a comment ({@code #} at its start or after a space), or null for a tab. */
    private static String withoutComment(String line) {
        if (line.indexOf('\t') >= 0) {
            return null;
        }
        int hash = line.indexOf('#');
        while (hash > 0 && line.charAt(hash - 1) != ' ') {
            hash = line.indexOf('#', hash + 1);
        }
        return hash < 0 ? line : line.substring(0, hash);
    }

    /** Returns the entry a list item's text stands for when the quick reading is certain to be YAML's, else null. */
    private static String plainValue(String item) {
        String value = item;
        boolean quoted = item.length() >= 2 && (item.charAt(0) == '\'' || item.charAt(0) == '"')
                && item.charAt(item.length() - 1) == item.charAt(0);
        if (quoted) {
            value = item.substring(1, item.length() - 1);
        }
        if (value.isEmpty()) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == ','
                    || c == ':' || c == '/' || c == '+' || c == '*' || c == '_' || c == '-';
            if (!safe) {
                return null;
            }
        }
        if (!quoted) {
            // Unquoted, these start an alias, a nested list or a key, or end one; "null" and "~" are null.
            char first = value.charAt(0);
            if (first == '*' || first == '-' || first == ':' || first == ',' || value.endsWith(":")
                    || value.equalsIgnoreCase("null")) {
                return null;
            }
        }
        return value;
    }

    private interface EntryReader {
        void read(String entry, Location at);
    }

    /** Calls {@code reader} for each line that is not blank or a comment, stripped, with where it starts. */
    private void readLines(String text, EntryReader reader) {
        int line = 1;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String raw = text.substring(start, end);
            String entry = raw.strip();
            if (!entry.isEmpty() && !entry.startsWith("#")) {
                int column = raw.indexOf(entry.charAt(0)) + 1;
                reader.read(entry, new Location(problems.file(), line, column));
            }
            line++;
            start = end + 1;
        }
    }

    private void readClashYaml(String text, Behavior behavior) {
        Optional<Node> root = YamlSource.compose(text, problems, (int) UserFile.Kind.RULE_SET.maxBytes());
        if (root.isEmpty()) {
            return;
        }
        Nodes nodes = new Nodes(problems);
        Optional<MappingNode> top = nodes.map(root.get(), "a clash rule-provider file: payload: followed by a list");
        if (top.isEmpty()) {
            return;
        }
        Map<String, NodeTuple> entries = nodes.entries(top.get());
        nodes.rejectUnknownKeys(entries, "a clash rule-provider file", List.of("payload"), Map.of());
        Optional<Node> payload = Nodes.value(entries, "payload");
        if (payload.isEmpty() || Nodes.isNull(payload.get())) {
            // An empty payload is a set without entries, as clash reads it.
            return;
        }
        String expected = switch (behavior) {
            case CLASSICAL -> "an entry such as DOMAIN-SUFFIX,example.com";
            case DOMAIN -> "a name";
            case IPCIDR -> "a prefix";
        };
        Optional<SequenceNode> list = nodes.list(payload.get(), "a list of entries, each " + expected);
        if (list.isEmpty()) {
            return;
        }
        for (Node item : list.get().getValue()) {
            if (item instanceof ScalarNode value && !Nodes.isNull(value)) {
                clashEntry(value.getValue().strip(), behavior, problems.at(value));
            } else {
                problem(problems.at(item), "expected " + expected + ", got " + Nodes.describe(item));
            }
        }
    }

    private void clashEntry(String entry, Behavior behavior, Location at) {
        switch (behavior) {
            case CLASSICAL -> classical(entry, at);
            case DOMAIN -> clashDomain(entry, at);
            case IPCIDR -> add(at, entry, () -> cidrs.add(Cidr.parse(entry)));
        }
    }

    /** {@code TYPE,VALUE[,no-resolve]}. */
    private void classical(String entry, Location at) {
        String[] parts = entry.split(",", -1);
        if (parts.length < 2) {
            String hint = entry.indexOf('/') >= 0 ? "; a list of prefixes needs behavior: ipcidr"
                    : "; a list of names needs behavior: domain";
            problem(at, "expected TYPE,VALUE such as DOMAIN-SUFFIX,example.com, got " + Nodes.quote(entry) + hint);
            return;
        }
        String type = parts[0].strip().toUpperCase(Locale.ROOT);
        String value = parts[1].strip();
        for (int i = 2; i < parts.length; i++) {
            if (!parts[i].strip().equalsIgnoreCase("no-resolve")) {
                problem(at, "unknown option " + Nodes.quote(parts[i].strip()) + " in " + Nodes.quote(entry)
                        + " (only no-resolve, which changes nothing: nstun never resolves names to match prefixes)");
                return;
            }
        }
        switch (type) {
            case "DOMAIN" -> add(at, entry, () -> domains.add(RuleReader.domain(value, false)));
            case "DOMAIN-SUFFIX" -> add(at, entry, () -> suffixes.add(RuleReader.domain(value, true)));
            case "DOMAIN-KEYWORD" -> add(at, entry, () -> keywords.add(RuleReader.keyword(value)));
            case "IP-CIDR", "IP-CIDR6" -> add(at, entry, () -> cidrs.add(Cidr.parse(value)));
            default -> problem(at, Nodes.quote(parts[0].strip()) + " entries are not supported in rule sets (expected one of: "
                    + String.join(", ", CLASSICAL_TYPES) + ")");
        }
    }

    /** A name of clash's domain behavior: {@code +.example.com}, {@code .example.com}, {@code *.example.com} or a name. */
    private void clashDomain(String entry, Location at) {
        if (entry.startsWith("+.")) {
            add(at, entry, () -> suffixes.add(RuleReader.domain(entry.substring(2), false)));
        } else if (entry.startsWith(".")) {
            add(at, entry, () -> suffixes.add(RuleReader.domain(entry, true)));
        } else if (entry.startsWith("*.") && entry.indexOf('*', 1) < 0) {
            add(at, entry, () -> wildcards.add(RuleReader.domain(entry.substring(2), false)));
        } else if (entry.indexOf('*') >= 0) {
            problem(at, "invalid name " + Nodes.quote(entry) + ": '*' is supported only as the first label ('*.example.com': "
                    + "one label below example.com); '+.example.com' is example.com and all its subdomains");
        } else {
            add(at, entry, () -> domains.add(RuleReader.domain(entry, false)));
        }
    }

    private void readHosts(String text) {
        readLines(text, (entry, at) -> {
            int comment = entry.indexOf('#');
            String[] fields = (comment < 0 ? entry : entry.substring(0, comment)).strip().split("\\s+");
            if (fields.length == 1) {
                hostName(fields[0], at);
                return;
            }
            if (IpLiteral.parseBytes(fields[0]).isEmpty()) {
                problem(at, "expected one name, or an address and names as in /etc/hosts, got " + Nodes.quote(entry));
                return;
            }
            for (int i = 1; i < fields.length; i++) {
                // "0.0.0.0 0.0.0.0" lines of block lists name no domain.
                if (IpLiteral.parseBytes(fields[i]).isEmpty()) {
                    hostName(fields[i], at);
                }
            }
        });
    }

    private void hostName(String name, Location at) {
        if (name.startsWith("*.") || name.startsWith("+.") || name.startsWith(".")) {
            problem(at, "invalid name " + Nodes.quote(name) + ": a hosts list holds names, each matched exactly; for "
                    + "subdomains use format: clash with behavior: domain, where '+.example.com' is example.com and its subdomains");
            return;
        }
        add(at, name, () -> domains.add(RuleReader.domain(name, false)));
    }

    /** Runs {@code parse}, which adds one entry or throws with what is wrong with it. */
    private void add(Location at, String entry, Runnable parse) {
        if (budget.left == 0) {
            problem(at, "the rule sets of this policy hold more than " + MAX_ENTRIES + " entries (a limit that bounds the memory "
                    + "they take)");
            throw new Stop();
        }
        try {
            parse.run();
            budget.left--;
        } catch (IllegalArgumentException e) {
            problem(at, "invalid entry " + Nodes.quote(entry) + ": " + e.getMessage());
        }
    }

    private void problem(Location at, String message) {
        problems.add(at, message);
        if (++reported >= MAX_PROBLEMS) {
            stopAfterTooMany(at);
        }
    }

    private void stopAfterTooMany(Location at) {
        problems.add(at, "stopped reading after " + MAX_PROBLEMS + " problems: is this a "
                + "rule-set file of the format its rule-sets entry names?");
        throw new Stop();
    }
}
