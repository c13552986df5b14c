package dev.nstun.policies.rules;

import dev.nstun.policies.config.Cidr;
import dev.nstun.policies.config.DomainNames;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PortRange;
import dev.nstun.policies.config.Rule;
import dev.nstun.policies.config.RuleSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * Answers "which rule, which outbound" for a flow, the same way as trying each rule's
 * {@link Rule#matches} in order, without trying each rule. Built once per policy; thread-safe.
 *
 * <p>Each destination condition is indexed (exact names and suffixes in {@link DomainIndex},
 * keywords in {@link KeywordAutomaton}, prefixes in one {@link CidrTrie} per family), the entries
 * of rule sets with the rule's own values, so a set of a million names costs a lookup what one
 * name costs; regexes and
 * rules without a destination condition are kept in order. Every source yields rule indices in
 * ascending order, and a rule counts only when its port and network conditions hold too. The
 * answer is the smallest such index over all sources, so first-match-wins holds exactly: each
 * source stops as soon as it reaches the best index found so far.
 */
public final class RuleMatcher {
    private static final int TCP_BIT = 1;
    private static final int UDP_BIT = 2;

    private final Rule[] rules;
    private final Outbound[] outbounds;
    /** Per rule: the networks it accepts as {@link #TCP_BIT} | {@link #UDP_BIT}. */
    private final int[] networkMask;
    /** Per rule: its port ranges merged and flattened (from0, to0, from1, …), or null for any port. */
    private final int[][] portRanges;
    private final DomainIndex domains;
    private final KeywordAutomaton keywords;
    private final int[] regexRules;
    private final Pattern[][] regexes;
    private final CidrTrie ipv4;
    private final CidrTrie ipv6;
    /** Rules without a destination condition, ascending; the last rule of a policy is among them. */
    private final int[] unconditional;

    private RuleMatcher(Policy policy) {
        List<Rule> list = policy.rules();
        int n = list.size();
        rules = list.toArray(new Rule[0]);
        outbounds = new Outbound[n];
        networkMask = new int[n];
        portRanges = new int[n][];
        DomainIndex.Builder domainBuilder = new DomainIndex.Builder();
        Map<String, IntList> keywordRules = new HashMap<>();
        List<Integer> regexIndices = new ArrayList<>();
        List<Pattern[]> regexLists = new ArrayList<>();
        CidrTrie v4 = new CidrTrie(32);
        CidrTrie v6 = new CidrTrie(128);
        IntList plain = new IntList();
        for (int i = 0; i < n; i++) {
            Rule rule = rules[i];
            outbounds[i] = policy.outbound(rule.outbound()).orElseThrow();
            networkMask[i] = rule.networks().isEmpty() ? TCP_BIT | UDP_BIT
                    : (rule.networks().contains(Network.TCP) ? TCP_BIT : 0) | (rule.networks().contains(Network.UDP) ? UDP_BIT : 0);
            portRanges[i] = rule.ports().isEmpty() ? null : merge(rule.ports());
            if (!rule.hasDestinationCondition()) {
                plain.add(i);
                continue;
            }
            for (String d : rule.domains()) {
                domainBuilder.addExact(d, i);
            }
            for (String s : rule.domainSuffixes()) {
                domainBuilder.addSuffix(s, i);
            }
            for (String k : rule.domainKeywords()) {
                keywordRules.computeIfAbsent(k, key -> new IntList()).add(i);
            }
            if (!rule.domainRegexes().isEmpty()) {
                regexIndices.add(i);
                regexLists.add(rule.domainRegexes().toArray(new Pattern[0]));
            }
            for (Cidr c : rule.ipCidrs()) {
                byte[] net = c.networkBytes();
                (net.length == 4 ? v4 : v6).add(net, c.prefixLength(), i);
            }
            for (RuleSet set : rule.ruleSets()) {
                for (String d : set.domains()) {
                    domainBuilder.addExact(d, i);
                }
                for (String s : set.domainSuffixes()) {
                    domainBuilder.addSuffix(s, i);
                }
                for (String w : set.wildcards()) {
                    domainBuilder.addWildcard(w, i);
                }
                for (String k : set.domainKeywords()) {
                    keywordRules.computeIfAbsent(k, key -> new IntList()).add(i);
                }
                for (Cidr c : set.ipCidrs()) {
                    byte[] net = c.networkBytes();
                    (net.length == 4 ? v4 : v6).add(net, c.prefixLength(), i);
                }
            }
        }
        domains = domainBuilder.build();
        keywords = KeywordAutomaton.build(keywordRules);
        regexRules = regexIndices.stream().mapToInt(Integer::intValue).toArray();
        regexes = regexLists.toArray(new Pattern[0][]);
        ipv4 = v4.freeze();
        ipv6 = v6.freeze();
        unconditional = plain.toSortedArray();
    }

    /** Builds the matcher for a policy. */
    public static RuleMatcher of(Policy policy) {
        return new RuleMatcher(policy);
    }

    /** Returns the first rule that matches the flow, and its outbound; there always is one. */
    public Match match(FlowKey flow) {
        int i = firstMatch(flow.domain().orElse(null), flow.addressBytes(), flow.port(), flow.network());
        return new Match(rules[i], outbounds[i]);
    }

    /**
     * Returns the index of the first rule that matches. {@code name} must be normalized; name and
     * address may each be null.
     */
    int firstMatch(String name, byte[] address, int port, Network network) {
        int bit = network == Network.TCP ? TCP_BIT : UDP_BIT;
        return first(name, address, i -> (networkMask[i] & bit) != 0 && portMatches(portRanges[i], port));
    }

    /**
     * Returns the rule that rejects every flow to {@code name} whatever its port and network, or
     * empty when some flow to the name (known by name only, as fake-IP DNS gives it) may go
     * somewhere. That rule is the first one whose destination condition takes the name and that
     * either sends elsewhere than a reject outbound or has no port and no network condition:
     * reject rules limited to some ports or a network leave the others to later rules. What
     * answers {@code name}'s DNS queries asks this, so that a name no flow may reach gets NXDOMAIN.
     */
    public Optional<Rule> refusingRule(String name) {
        int i = first(DomainNames.normalize(name), null,
                r -> !(outbounds[r] instanceof Outbound.Reject) || (portRanges[r] == null && networkMask[r] == (TCP_BIT | UDP_BIT)));
        return outbounds[i] instanceof Outbound.Reject ? Optional.of(rules[i]) : Optional.empty();
    }

    /** Returns the index of the first rule that matches the name or address and passes {@code rest}. */
    private int first(String name, byte[] address, IntPredicate rest) {
        int best = rules.length;
        best = IntList.first(unconditional, best, rest);
        if (name != null) {
            best = domains.first(name, best, rest);
            best = keywords.first(name, best, rest);
            for (int r = 0; r < regexRules.length && regexRules[r] < best; r++) {
                if (rest.test(regexRules[r]) && anyFinds(regexes[r], name)) {
                    best = regexRules[r];
                    break;
                }
            }
        }
        if (address != null) {
            best = (address.length == 4 ? ipv4 : ipv6).first(address, best, rest);
        }
        if (best == rules.length) {
            throw new IllegalStateException("no rule matched, yet a policy ends with a catch-all rule");
        }
        return best;
    }

    private static boolean anyFinds(Pattern[] patterns, String name) {
        for (Pattern p : patterns) {
            if (p.matcher(name).find()) {
                return true;
            }
        }
        return false;
    }

    private static boolean portMatches(int[] ranges, int port) {
        if (ranges == null) {
            return true;
        }
        // Last range starting at or below the port: binary search over the "from" values.
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ranges[2 * mid] <= port) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && port <= ranges[2 * found + 1];
    }

    /** Returns ranges sorted, overlapping and adjacent ones joined, as from0, to0, from1, to1, … */
    private static int[] merge(List<PortRange> ranges) {
        List<PortRange> sorted = ranges.stream().sorted(Comparator.comparingInt(PortRange::from)).toList();
        IntList out = new IntList();
        int from = sorted.get(0).from();
        int to = sorted.get(0).to();
        for (PortRange r : sorted.subList(1, sorted.size())) {
            if (r.from() <= to + 1) {
                to = Math.max(to, r.to());
            } else {
                out.add(from);
                out.add(to);
                from = r.from();
                to = r.to();
            }
        }
        out.add(from);
        out.add(to);
        return out.toArray();
    }
}
