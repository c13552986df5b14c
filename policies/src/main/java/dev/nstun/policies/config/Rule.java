package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One rule of a policy: its conditions, the outbound that matching flows go to, and its place in
 * the file. The methods {@code matches…} are the definition of what a rule matches; the fast
 * {@code RuleMatcher} must give the same answers.
 *
 * <p>A rule matches a flow when all three of these hold:
 * <ul>
 * <li>destination: the rule has no domain, ip-cidr or rule-set condition, or the flow's name matches
 *     one of its domain, domain-suffix, domain-keyword, domain-regex values or an entry of one of its
 *     rule sets, or the flow's address lies in one of its ip-cidr prefixes or a prefix of one of its
 *     rule sets (one destination condition, its values ORed, as sing-box does);
 * <li>port: the rule has no port condition, or the destination port lies in one of its ranges;
 * <li>network: the rule has no network condition, or it lists the flow's network.
 * </ul>
 *
 * @param index          0-based position in the policy ({@link #number()} is what users see)
 * @param domains        names matched exactly (normalized: lower case, no trailing dot)
 * @param domainSuffixes {@code example.com} matches the name and its subdomains; {@code .example.com} only the subdomains
 * @param domainKeywords substrings of the name
 * @param domainRegexes  patterns found anywhere in the name (case-insensitive)
 * @param ipCidrs        prefixes the destination address lies in
 * @param ruleSets       sets of destinations from files of their own ({@link RuleSet})
 * @param ports          destination port ranges
 * @param networks       tcp and/or udp
 * @param outbound       name of the outbound
 * @param location       where the rule starts; not in the file for the implicit final rule
 */
public record Rule(int index, List<String> domains, List<String> domainSuffixes, List<String> domainKeywords,
                   List<Pattern> domainRegexes, List<Cidr> ipCidrs, List<RuleSet> ruleSets, List<PortRange> ports,
                   Set<Network> networks, String outbound, Location location) {
    /** Values of one key shown in {@link #text()} before the rest is summarized. */
    private static final int SHOWN_VALUES = 6;

    public Rule {
        domains = List.copyOf(domains);
        domainSuffixes = List.copyOf(domainSuffixes);
        domainKeywords = List.copyOf(domainKeywords);
        domainRegexes = List.copyOf(domainRegexes);
        ipCidrs = List.copyOf(ipCidrs);
        ruleSets = List.copyOf(ruleSets);
        ports = List.copyOf(ports);
        networks = Set.copyOf(networks);
    }

    /** Returns the final rule a policy gets when its file has none: every flow goes to {@code outbound}. */
    public static Rule implicitFinal(int index, String outbound, String file) {
        return new Rule(index, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Set.of(), outbound,
                Location.nowhere(file));
    }

    /** Returns the same rule at another place in a policy (rules put in front of a file's move its own). */
    public Rule withIndex(int newIndex) {
        return new Rule(newIndex, domains, domainSuffixes, domainKeywords, domainRegexes, ipCidrs, ruleSets, ports, networks, outbound,
                location);
    }

    /** Returns the 1-based rule number users see. */
    public int number() {
        return index + 1;
    }

    /** Returns whether the file did not write this rule (it is the implicit final rule). */
    public boolean isImplicit() {
        return !location.inFile();
    }

    /** Returns whether the rule has a domain, ip-cidr or rule-set condition. */
    public boolean hasDestinationCondition() {
        return !domains.isEmpty() || !domainSuffixes.isEmpty() || !domainKeywords.isEmpty() || !domainRegexes.isEmpty()
                || !ipCidrs.isEmpty() || !ruleSets.isEmpty();
    }

    /** Returns whether the rule has a domain condition of any kind, its own or in a rule set. */
    public boolean hasNameCondition() {
        return !domains.isEmpty() || !domainSuffixes.isEmpty() || !domainKeywords.isEmpty() || !domainRegexes.isEmpty()
                || ruleSets.stream().anyMatch(RuleSet::hasNames);
    }

    /** Returns whether the rule has a prefix condition, its own or in a rule set. */
    public boolean hasAddressCondition() {
        return !ipCidrs.isEmpty() || ruleSets.stream().anyMatch(s -> !s.ipCidrs().isEmpty());
    }

    /** Returns whether the rule matches every flow (it has only an outbound). */
    public boolean isCatchAll() {
        return !hasDestinationCondition() && ports.isEmpty() && networks.isEmpty();
    }

    /** Returns whether the rule matches a flow (see the class comment). Name and address may each be null, not both. */
    public boolean matches(String name, byte[] address, int port, Network network) {
        return matchesDestination(name, address) && matchesPort(port) && matchesNetwork(network);
    }

    /** Returns whether the destination condition holds for a name and/or address (either may be null). */
    public boolean matchesDestination(String name, byte[] address) {
        if (!hasDestinationCondition()) {
            return true;
        }
        return (name != null && matchingNameValue(name) != null) || (address != null && matchingAddressValue(address) != null);
    }

    /**
     * Returns the first domain value that matches a normalized name, written as in the file with its
     * key ({@code domain-suffix example.com}), or null.
     */
    public String matchingNameValue(String name) {
        for (String d : domains) {
            if (name.equals(d)) {
                return "domain " + d;
            }
        }
        for (String s : domainSuffixes) {
            if (suffixMatches(s, name)) {
                return "domain-suffix " + s;
            }
        }
        for (String k : domainKeywords) {
            if (name.contains(k)) {
                return "domain-keyword " + k;
            }
        }
        for (Pattern p : domainRegexes) {
            if (p.matcher(name).find()) {
                return "domain-regex " + p.pattern();
            }
        }
        for (RuleSet set : ruleSets) {
            String entry = set.matchingNameValue(name);
            if (entry != null) {
                return entry;
            }
        }
        return null;
    }

    /**
     * Returns the first prefix that contains the address (4 or 16 bytes), written with its key
     * ({@code ip-cidr 10.0.0.0/8}, or the rule set it is in), or null.
     */
    public String matchingAddressValue(byte[] address) {
        for (Cidr c : ipCidrs) {
            if (c.contains(address)) {
                return "ip-cidr " + c;
            }
        }
        for (RuleSet set : ruleSets) {
            String entry = set.matchingAddressValue(address);
            if (entry != null) {
                return entry;
            }
        }
        return null;
    }

    /** Returns whether the port condition holds; port 0 (unknown) meets only a rule without one. */
    public boolean matchesPort(int port) {
        if (ports.isEmpty()) {
            return true;
        }
        for (PortRange r : ports) {
            if (r.contains(port)) {
                return true;
            }
        }
        return false;
    }

    /** Returns whether the network condition holds. */
    public boolean matchesNetwork(Network network) {
        return networks.isEmpty() || networks.contains(network);
    }

    /** Returns whether a domain-suffix value ({@code example.com} or {@code .example.com}) matches a normalized name. */
    static boolean suffixMatches(String suffix, String name) {
        if (suffix.startsWith(".")) {
            return name.endsWith(suffix);
        }
        return name.equals(suffix) || (name.endsWith(suffix) && name.charAt(name.length() - suffix.length() - 1) == '.');
    }

    /**
     * Returns the rule as one line of flow-style YAML, e.g.
     * {@code {domain-suffix: [corp.example.com, intranet], outbound: lan}}; long lists are shortened.
     */
    public String text() {
        List<String> parts = new ArrayList<>();
        addValues(parts, "domain", domains, Function.identity());
        addValues(parts, "domain-suffix", domainSuffixes, Function.identity());
        addValues(parts, "domain-keyword", domainKeywords, Function.identity());
        addValues(parts, "domain-regex", domainRegexes, p -> "'" + p.pattern().replace("'", "''") + "'");
        addValues(parts, "ip-cidr", ipCidrs, c -> c.network().getAddress().length == 16 ? "\"" + c + "\"" : c.toString());
        addValues(parts, "rule-set", ruleSets, RuleSet::name);
        addValues(parts, "port", ports, r -> r.from() == r.to() ? r.toString() : "\"" + r + "\"");
        addValues(parts, "network", networks.stream().sorted().toList(), Network::label);
        parts.add("outbound: " + outbound);
        return "{" + String.join(", ", parts) + "}";
    }

    private static <T> void addValues(List<String> parts, String key, List<T> values, Function<T, String> render) {
        if (values.isEmpty()) {
            return;
        }
        if (values.size() == 1) {
            parts.add(key + ": " + render.apply(values.get(0)));
            return;
        }
        String shown = values.stream().limit(SHOWN_VALUES).map(render).collect(Collectors.joining(", "));
        String more = values.size() > SHOWN_VALUES ? ", … " + (values.size() - SHOWN_VALUES) + " more" : "";
        parts.add(key + ": [" + shown + more + "]");
    }
}
