package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The allow-list and deny-list of the command line ({@code nstun run --allow PATTERN --deny PATTERN}),
 * turned into rules of the policy model: there is one rule engine, and these are ordinary rules
 * placed first. Each pattern becomes one rule; {@code --deny} rules come before {@code --allow}
 * rules (they are the exceptions), each kind in command-line order.
 *
 * <p>A pattern is {@code [tcp:|udp:]HOST[:PORTS]} or {@code tcp:PORTS} / {@code udp:PORTS}:
 * <pre>
 * example.com          the name exactly                 → domain: example.com
 * *.example.com        its subdomains, not the name     → domain-suffix: .example.com
 * 10.0.0.0/8, 192.0.2.7, fd00::/8, [2001:db8::1]  a prefix or one address → ip-cidr
 * *                    any destination
 * :443, :8000-8100     after HOST: these ports only     → port
 * tcp:, udp:           before HOST: this protocol only  → network
 * tcp:443, udp:53      any destination, this protocol and port
 * </pre>
 * An IPv6 address followed by a port goes in brackets: {@code [2001:db8::1]:443}. Names match the
 * flows the command made by name (through nstun's fake-IP DNS); addresses match flows to address
 * literals: nstun never resolves a name to match an address pattern, or the reverse.
 */
public final class AccessList {
    /** The accepted forms, as error messages list them. */
    public static final String FORMS = "NAME, *.SUFFIX, ADDRESS, ADDRESS/PREFIX or *, optionally followed by :PORT or :FROM-TO"
            + " (IPv6 in [brackets] then) and preceded by tcp: or udp:; or tcp:PORT, udp:PORT";
    private static final Pattern PORTS = Pattern.compile("[0-9]+(-[0-9]+)?");
    private static final AccessList EMPTY = new AccessList(List.of(), List.of());

    /** One parsed pattern: the conditions of its rule; empty lists mean "any". */
    record Entry(String option, String text, List<String> domains, List<String> domainSuffixes, List<Cidr> ipCidrs,
                 List<PortRange> ports, Set<Network> networks) {
        Rule rule(int index, String outbound) {
            return new Rule(index, domains, domainSuffixes, List.of(), List.of(), ipCidrs, List.of(), ports, networks, outbound,
                    Location.nowhere(option + " " + text));
        }

        boolean matchesNames() {
            return !domains.isEmpty() || !domainSuffixes.isEmpty();
        }
    }

    private final List<Entry> denies;
    private final List<Entry> allows;

    private AccessList(List<Entry> denies, List<Entry> allows) {
        this.denies = List.copyOf(denies);
        this.allows = List.copyOf(allows);
    }

    /** Returns the list with no patterns: it changes no policy. */
    public static AccessList empty() {
        return EMPTY;
    }

    /**
     * Parses the patterns of {@code --allow} and {@code --deny}.
     *
     * @throws PolicyException with one problem per bad pattern, each naming the option, the
     *     pattern, what is wrong and the {@linkplain #FORMS accepted forms}
     */
    public static AccessList parse(List<String> allow, List<String> deny) throws PolicyException {
        List<Problem> problems = new ArrayList<>();
        List<Entry> denies = parseAll("--deny", deny, problems);
        List<Entry> allows = parseAll("--allow", allow, problems);
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        return new AccessList(denies, allows);
    }

    private static List<Entry> parseAll(String option, List<String> patterns, List<Problem> problems) {
        List<Entry> entries = new ArrayList<>();
        for (String text : patterns) {
            try {
                entries.add(entry(option, text));
            } catch (IllegalArgumentException e) {
                problems.add(Problem.at(Location.nowhere(option + " '" + text + "'"), e.getMessage() + "; accepted forms: " + FORMS));
            }
        }
        return entries;
    }

    /** Returns whether there is no pattern at all. */
    public boolean isEmpty() {
        return denies.isEmpty() && allows.isEmpty();
    }

    /**
     * Returns the policy for a run without a policy file: {@code route} sends every flow to one
     * outbound (direct, or the proxy of {@code --socks5}/{@code --http}). The deny rules reject,
     * the allow rules send to that outbound, and with any allow rule everything else is rejected
     * (default deny); with deny rules only, everything else still goes to that outbound. DNS
     * queries nstun forwards keep going through that outbound.
     *
     * @throws IllegalArgumentException when {@code route}'s final rule does not relay
     */
    public Policy restrict(Policy route) {
        if (isEmpty()) {
            return route;
        }
        String via = route.finalRule().outbound();
        if (!route.outbounds().get(via).carries(Network.TCP)) {
            throw new IllegalArgumentException("the final rule of " + route.source() + " sends to " + via + ", which relays nothing");
        }
        List<Rule> rules = cliRules(via);
        rules.add(Rule.implicitFinal(rules.size(), allows.isEmpty() ? via : Policy.IMPLICIT_FINAL_OUTBOUND, route.source()));
        DnsSettings dns = new DnsSettings(route.dns().mode(), route.dns().upstream(), Optional.of(route.dnsOutbound().name()));
        return new Policy(route.source(), route.outbounds(), rules, dns);
    }

    /**
     * Returns {@code file} with these rules in front of its own (which keep their order and its
     * final rule). Allowed flows go where the file sends the flows no rule of its own matches,
     * or, when its final rule rejects or drops them, through its {@code dns.via} outbound.
     *
     * @throws PolicyException when the allow rules would have no outbound to take (the file's
     *     final rule and its DNS outbound relay nothing), or when name patterns meet a file whose
     *     DNS mode is forward (flows then carry no names)
     */
    public Policy prependTo(Policy file) throws PolicyException {
        if (isEmpty()) {
            return file;
        }
        if (file.dns().mode() == DnsSettings.Mode.FORWARD) {
            Optional<Entry> byName = Stream.concat(denies.stream(), allows.stream()).filter(Entry::matchesNames).findFirst();
            if (byName.isPresent()) {
                throw problem(file, byName.get().option() + " " + byName.get().text() + " matches a name, but " + file.source()
                        + " sets dns mode forward, so flows carry addresses only: remove the dns mode line (fake-ip is the default)"
                        + " or give addresses");
            }
        }
        String via = null;
        if (!allows.isEmpty()) {
            Outbound unmatched = file.outbounds().get(file.finalRule().outbound());
            Outbound dns = file.dnsOutbound();
            if (unmatched.carries(Network.TCP)) {
                via = unmatched.name();
            } else if (dns.carries(Network.TCP)) {
                via = dns.name();
            } else {
                throw problem(file, "--allow with -p: " + file.source() + " sends the flows no rule matches to " + unmatched.name()
                        + " and names no dns.via, so allowed flows have no outbound to take: set dns.via in the file to the"
                        + " outbound they should take (direct for none)");
            }
        }
        List<Rule> rules = cliRules(via);
        for (Rule r : file.rules()) {
            rules.add(r.withIndex(rules.size()));
        }
        return new Policy(file.source(), file.outbounds(), rules, file.dns());
    }

    /** Returns the deny rules (to reject), then the allow rules (to {@code via}), indexed from 0. */
    private List<Rule> cliRules(String via) {
        List<Rule> rules = new ArrayList<>();
        for (Entry e : denies) {
            rules.add(e.rule(rules.size(), Policy.IMPLICIT_FINAL_OUTBOUND));
        }
        for (Entry e : allows) {
            rules.add(e.rule(rules.size(), via));
        }
        return rules;
    }

    private static PolicyException problem(Policy file, String message) {
        return new PolicyException(List.of(Problem.at(Location.nowhere(file.source()), message)));
    }

    /** Parses one pattern (see the class comment). */
    static Entry entry(String option, String text) {
        String rest = text.strip();
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("empty pattern");
        }
        if (rest.contains("://")) {
            throw new IllegalArgumentException("a URL is no pattern: give its host, with :PORT to allow that port only");
        }
        Set<Network> networks = Set.of();
        int colon = rest.indexOf(':');
        if (colon > 0) {
            Optional<Network> network = Network.parse(rest.substring(0, colon));
            if (network.isPresent()) {
                networks = Set.of(network.get());
                rest = rest.substring(colon + 1);
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("nothing after " + network.get().label() + ":");
                }
                if (PORTS.matcher(rest).matches()) {
                    return new Entry(option, text, List.of(), List.of(), List.of(), List.of(RuleReader.portRange(rest)), networks);
                }
            }
        }
        if (PORTS.matcher(rest).matches()) {
            throw new IllegalArgumentException("a port alone needs a protocol: tcp:" + rest + " or udp:" + rest + " (or *:" + rest
                    + " for both)");
        }
        String host = rest;
        String ports = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'[' without ']'");
            }
            host = rest.substring(1, close);
            String after = rest.substring(close + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                throw new IllegalArgumentException("expected :PORT after ']', got '" + after + "'");
            }
            ports = after.isEmpty() ? null : after.substring(1);
        } else if (rest.indexOf(':') >= 0 && rest.indexOf(':') == rest.lastIndexOf(':')) {
            host = rest.substring(0, rest.indexOf(':'));
            ports = rest.substring(rest.indexOf(':') + 1);
        }
        List<PortRange> portRanges = ports == null ? List.of() : List.of(RuleReader.portRange(ports));
        List<String> domains = List.of();
        List<String> suffixes = List.of();
        List<Cidr> cidrs = List.of();
        if (host.isEmpty()) {
            throw new IllegalArgumentException("no host before ':'");
        } else if (host.equals("*")) {
            // Any destination: the rule has no destination condition.
        } else if (host.startsWith("*.")) {
            suffixes = List.of("." + RuleReader.domain(host.substring(2), false));
        } else if (host.indexOf('/') >= 0 || host.indexOf(':') >= 0 || IpLiteral.looksLikeIpv4(host)) {
            cidrs = List.of(Cidr.parse(host));
        } else {
            domains = List.of(RuleReader.domain(host.toLowerCase(Locale.ROOT), false));
        }
        return new Entry(option, text, domains, suffixes, cidrs, portRanges, networks);
    }
}
