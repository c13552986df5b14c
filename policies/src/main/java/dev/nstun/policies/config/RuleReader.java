package dev.nstun.policies.config;

import java.net.IDN;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** Reads the {@code rules} list: one map per rule, conditions plus {@code outbound}. */
final class RuleReader {
    static final List<String> KEYS = List.of("domain", "domain-suffix", "domain-keyword", "domain-regex", "ip-cidr", "rule-set",
            "port", "network", "outbound");
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("port_range", "did you mean 'port'? it takes ranges too, e.g. port: \"1000-2000\""),
            Map.entry("port-range", "did you mean 'port'? it takes ranges too, e.g. port: \"1000-2000\""),
            Map.entry("dst-port", "did you mean 'port'?"),
            Map.entry("ip-cidr6", "did you mean 'ip-cidr'? it takes IPv6 prefixes too"),
            Map.entry("ip_cidr6", "did you mean 'ip-cidr'? it takes IPv6 prefixes too"),
            Map.entry("no-resolve", "nstun never resolves names to match ip-cidr, so there is nothing to turn off: remove it"),
            Map.entry("domain-wildcard", "wildcards are not supported: domain-suffix example.com matches example.com and its "
                    + "subdomains"),
            Map.entry("final", "a final rule is a rule with only 'outbound', e.g. - {outbound: corp}"),
            Map.entry("match", "a final rule is a rule with only 'outbound', e.g. - {outbound: corp}"),
            Map.entry("proxy", "did you mean 'outbound'?"),
            Map.entry("target", "did you mean 'outbound'?"),
            Map.entry("action", "did you mean 'outbound'? (reject and drop are outbounds too)"),
            Map.entry("rule-sets", "did you mean 'rule-set'? (rule sets are declared under the top-level 'rule-sets')"),
            Map.entry("ruleset", "did you mean 'rule-set'?"));
    /** Clash rule types and the keys they become here. */
    private static final Map<String, String> CLASH_TYPES = Map.of(
            "DOMAIN", "domain", "DOMAIN-SUFFIX", "domain-suffix", "DOMAIN-KEYWORD", "domain-keyword",
            "DOMAIN-REGEX", "domain-regex", "IP-CIDR", "ip-cidr", "IP-CIDR6", "ip-cidr", "DST-PORT", "port",
            "NETWORK", "network", "RULE-SET", "rule-set");
    private static final Pattern SINGLE_PORT = Pattern.compile("[0-9]{1,6}");
    private static final Pattern PORT_RANGE = Pattern.compile("([0-9]{1,6})\\s*([-:])\\s*([0-9]{1,6})");
    private static final Pattern DOMAIN_CHARS = Pattern.compile("[a-z0-9._-]*");
    private static final Pattern NOT_DOMAIN_CHAR = Pattern.compile("[^a-z0-9._-]");
    private static final int MAX_DOMAIN_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    /**
     * A rule as read, with what the cross-checks need: the rule itself when all of it was valid,
     * its outbound name and node, whether it is a catch-all, and its networks.
     */
    record Draft(int index, Node node, Optional<Rule> rule, Optional<String> outbound, Optional<Node> outboundNode, boolean catchAll,
                 Set<Network> networks) {
    }

    private final Nodes nodes;
    private final Problems problems;
    private final RuleSetReader.Declared ruleSets;

    RuleReader(Nodes nodes, RuleSetReader.Declared ruleSets) {
        this.nodes = nodes;
        this.problems = nodes.problems();
        this.ruleSets = ruleSets;
    }

    /** Reads the rules list; each item gives one draft (items that are not maps give none, after a problem). */
    List<Draft> read(Node list) {
        List<Draft> drafts = new ArrayList<>();
        nodes.list(list, "a list of rules, e.g. - {domain-suffix: example.com, outbound: corp}").ifPresent(seq -> {
            if (seq.getValue().isEmpty()) {
                problems.add(seq, "the rule list is empty: add at least a final rule such as - {outbound: direct}");
            }
            for (int i = 0; i < seq.getValue().size(); i++) {
                readOne(seq.getValue().get(i), i).ifPresent(drafts::add);
            }
        });
        return drafts;
    }

    private Optional<Draft> readOne(Node item, int index) {
        if (item instanceof ScalarNode s && !Nodes.isNull(s) && s.getValue().contains(",")) {
            problems.add(item, "expected a rule map, got " + Nodes.describe(item) + "; clash-style rule strings are not "
                    + "supported: write " + clashTranslation(s.getValue()));
            return Optional.empty();
        }
        Optional<MappingNode> map = nodes.map(item, "a rule map such as {domain-suffix: example.com, outbound: corp}");
        if (map.isEmpty()) {
            return Optional.empty();
        }
        int before = problems.count();
        Map<String, NodeTuple> entries = nodes.entries(map.get());
        Set<String> misspelled = nodes.rejectUnknownKeys(entries, "rule", KEYS, HINTS);
        List<String> domains = values(entries, "domain", "a domain name", v -> domain(v, false));
        List<String> suffixes = values(entries, "domain-suffix", "a domain suffix", v -> domain(v, true));
        List<String> keywords = values(entries, "domain-keyword", "a keyword", RuleReader::keyword);
        List<Pattern> regexes = values(entries, "domain-regex", "a regular expression", RuleReader::regex);
        List<Cidr> cidrs = values(entries, "ip-cidr", "a prefix such as 10.0.0.0/8", Cidr::parse);
        Optional<List<RuleSet>> sets = ruleSets(entries);
        List<PortRange> ports = values(entries, "port", "a port or range such as 6000-6010", RuleReader::portRange);
        List<Network> networkList = values(entries, "network", "tcp or udp", RuleReader::network);
        Set<Network> networks = networkList.isEmpty() ? Set.of() : EnumSet.copyOf(networkList);
        Optional<Node> outboundNode = Nodes.value(entries, "outbound");
        Optional<String> outbound = Optional.empty();
        if (outboundNode.isPresent()) {
            outbound = nodes.text(outboundNode.get(), "the name of an outbound");
        } else if (!misspelled.contains("outbound")) {
            problems.add(map.get(), "rule has no 'outbound' (the outbound that matching flows go to, e.g. outbound: direct)");
        }
        boolean catchAll = entries.size() == 1 && outboundNode.isPresent();
        Optional<Rule> rule = Optional.empty();
        if (problems.count() == before && sets.isPresent()) {
            rule = Optional.of(new Rule(index, domains, suffixes, keywords, regexes, cidrs, sets.get(), ports, networks,
                    outbound.orElseThrow(), problems.at(map.get())));
        }
        return Optional.of(new Draft(index, map.get(), rule, outbound, outboundNode, catchAll, networks));
    }

    /**
     * Returns the rule sets a rule names; empty when one of them is declared but did not load (its
     * file's problems say why) or is not declared (reported here).
     */
    private Optional<List<RuleSet>> ruleSets(Map<String, NodeTuple> entries) {
        List<RuleSet> out = new ArrayList<>();
        Optional<Node> node = Nodes.value(entries, "rule-set");
        if (node.isEmpty()) {
            return Optional.of(out);
        }
        boolean complete = true;
        for (ScalarNode value : nodes.values(node.get(), "rule-set", "the name of a rule set")) {
            String name = value.getValue();
            RuleSet set = ruleSets.sets().get(name);
            if (set != null) {
                out.add(set);
                continue;
            }
            complete = false;
            if (!ruleSets.names().contains(name)) {
                problems.add(value, "unknown rule set " + Nodes.quote(name) + (ruleSets.names().isEmpty()
                        ? " (declare it under the top-level rule-sets, e.g. - {name: " + name + ", file: " + name
                        + ".yaml, format: clash})"
                        : " (declared: " + String.join(", ", ruleSets.names().stream().sorted().toList()) + ")"
                        + Suggest.didYouMean(name, ruleSets.names())));
            }
        }
        return complete ? Optional.of(out) : Optional.empty();
    }

    /** Parses each value of a key with {@code parse}, which throws with a message for a bad value. */
    private <T> List<T> values(Map<String, NodeTuple> entries, String key, String valueKind, Function<String, T> parse) {
        List<T> out = new ArrayList<>();
        Optional<Node> node = Nodes.value(entries, key);
        if (node.isEmpty()) {
            return out;
        }
        for (ScalarNode value : nodes.values(node.get(), key, valueKind)) {
            try {
                out.add(parse.apply(value.getValue()));
            } catch (IllegalArgumentException e) {
                problems.add(value, "invalid " + key + " " + Nodes.quote(value.getValue()) + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** Checks a domain (or, with {@code suffix}, a domain suffix that may start with a dot) and normalizes it. */
    static String domain(String text, boolean suffix) {
        if (isPlainDomain(text, suffix)) {
            return text;
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("a domain cannot be empty");
        }
        if (text.startsWith("*.") || text.startsWith("+.")) {
            String bare = text.substring(2);
            throw new IllegalArgumentException("wildcards are not supported; " + (suffix ? "" : "use domain-suffix: ") + "'" + bare
                    + "' matches " + bare + " and all its subdomains, '." + bare + "' only the subdomains");
        }
        boolean leadingDot = suffix && text.startsWith(".");
        String body = DomainNames.normalize(leadingDot ? text.substring(1) : text);
        if (!body.chars().allMatch(c -> c < 128)) {
            String ascii;
            try {
                ascii = IDN.toASCII(body, IDN.ALLOW_UNASSIGNED);
            } catch (IllegalArgumentException e) {
                ascii = null;
            }
            throw new IllegalArgumentException("not ASCII: write internationalized names in punycode"
                    + (ascii != null ? ", here '" + (leadingDot ? "." : "") + ascii + "'" : " (xn--…)"));
        }
        if (IpLiteral.parseBytes(body).isPresent()) {
            throw new IllegalArgumentException("this is an IP address: match addresses with ip-cidr");
        }
        Matcher bad = NOT_DOMAIN_CHAR.matcher(body);
        if (bad.find()) {
            throw new IllegalArgumentException("'" + bad.group() + "' cannot occur in a domain (letters, digits, '-', '_', '.')");
        }
        if (body.length() > MAX_DOMAIN_LENGTH) {
            throw new IllegalArgumentException("longer than " + MAX_DOMAIN_LENGTH + " characters");
        }
        for (String label : body.split("\\.", -1)) {
            if (label.isEmpty()) {
                throw new IllegalArgumentException("empty label (a dot at the start or two dots in a row)");
            }
            if (label.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("a label is longer than " + MAX_LABEL_LENGTH + " characters");
            }
        }
        return (leadingDot ? "." : "") + body;
    }

    /**
     * Returns whether a domain is already valid and normal: lower-case letters, digits, '-', '_'
     * in labels of 1 to 63 characters, at most 253 in all, not an IPv4 address, no trailing dot.
     * One pass, no allocation: a rule set of a million names takes this path for nearly all of
     * them; anything else goes through the checks that say what is wrong.
     */
    private static boolean isPlainDomain(String text, boolean suffix) {
        int start = suffix && text.startsWith(".") ? 1 : 0;
        int length = text.length() - start;
        if (length == 0 || length > MAX_DOMAIN_LENGTH) {
            return false;
        }
        int label = 0;
        boolean onlyDigitsAndDots = true;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    return false;
                }
                label = 0;
                continue;
            }
            boolean digit = c >= '0' && c <= '9';
            if (!(digit || (c >= 'a' && c <= 'z') || c == '-' || c == '_') || ++label > MAX_LABEL_LENGTH) {
                return false;
            }
            onlyDigitsAndDots &= digit;
        }
        return label > 0 && !onlyDigitsAndDots;
    }

    static String keyword(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.isEmpty()) {
            throw new IllegalArgumentException("an empty keyword would match every name");
        }
        if (!DOMAIN_CHARS.matcher(lower).matches()) {
            throw new IllegalArgumentException("it can never match: domain names hold only letters, digits, '-', '_' and '.'");
        }
        return lower;
    }

    private static Pattern regex(String text) {
        try {
            return Pattern.compile(text, Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(e.getDescription() + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""), e);
        }
    }

    static PortRange portRange(String text) {
        if (SINGLE_PORT.matcher(text).matches()) {
            int port = Integer.parseInt(text);
            if (port < 1 || port > PortRange.MAX_PORT) {
                throw new IllegalArgumentException("expected a port from 1 to 65535");
            }
            return new PortRange(port, port);
        }
        Matcher m = PORT_RANGE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a port from 1 to 65535 or a range such as 6000-6010");
        }
        int from = Integer.parseInt(m.group(1));
        int to = Integer.parseInt(m.group(3));
        if (m.group(2).equals(":")) {
            throw new IllegalArgumentException("write ranges with '-': '" + from + "-" + to + "'");
        }
        if (from < 1 || to < 1 || from > PortRange.MAX_PORT || to > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("ports are 1 to 65535");
        }
        if (from > to) {
            throw new IllegalArgumentException("the first port is above the last; did you mean '" + to + "-" + from + "'?");
        }
        return new PortRange(from, to);
    }

    private static Network network(String text) {
        return Network.parse(text).orElseThrow(() -> new IllegalArgumentException("expected tcp or udp"));
    }

    /** Returns the map form of a clash rule string, or a general example. */
    private static String clashTranslation(String text) {
        String[] parts = text.split(",");
        String type = parts[0].trim().toUpperCase(Locale.ROOT);
        if ((type.equals("MATCH") || type.equals("FINAL")) && parts.length >= 2) {
            return "{outbound: " + parts[1].trim() + "}";
        }
        String key = CLASH_TYPES.get(type);
        if (key != null && parts.length >= 3) {
            return "{" + key + ": " + parts[1].trim() + ", outbound: " + parts[2].trim() + "}";
        }
        return "a map such as {domain-suffix: example.com, outbound: corp}";
    }
}
