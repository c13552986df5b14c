package dev.nstun.policies.rules;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PortRange;
import dev.nstun.policies.config.Rule;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What {@code nstun explain FILE HOST[:PORT]} prints: which rule a destination meets first, which
 * outbound that sends it to, why, and what a user might not expect (rules that could not apply
 * to a name-only or address-only flow, an outbound that cannot carry the network).
 */
public final class Explain {
    private static final int LISTED_RULES = 5;

    private Explain() {
    }

    /**
     * Explains where a destination goes. A host that is an IP literal makes an address-only flow;
     * a name makes a name-only flow, as fake-IP DNS gives it. Without a port, rules with a port
     * condition are skipped and a note says so.
     *
     * @param destination {@code host}, {@code host:port}, {@code [v6]:port} or a bare IPv6 address
     * @return lines separated by {@code \n}, the first one a summary such as
     *     {@code example.com:443/tcp → rule 5 (work.yaml:12: {outbound: corp}) → outbound corp (socks5 10.0.0.5:1080)}
     * @throws IllegalArgumentException when the destination cannot be read; the message says why
     */
    public static String explain(Policy policy, String destination, Network network) {
        FlowKey flow = parse(destination, network);
        Match match = RuleMatcher.of(policy).match(flow);
        Rule rule = match.rule();
        Outbound outbound = match.outbound();
        List<String> lines = new ArrayList<>();
        String ruleText = rule.isImplicit()
                ? policy.source() + ": no final rule, so the implicit " + rule.text()
                : rule.location().fileAndLine() + ": " + rule.text();
        lines.add(flow + " → rule " + rule.number() + " (" + ruleText + ") → outbound " + outbound.name() + " ("
                + outbound.describe() + ")");
        lines.add("  matched: " + reason(rule, flow));
        if (outbound instanceof Outbound.Group group) {
            group(lines, group, network, "  ");
        }

        String name = flow.domain().orElse(null);
        byte[] address = flow.addressBytes();
        List<Rule> before = policy.rules().subList(0, rule.index());
        if (address == null) {
            note(lines, before, Rule::hasAddressCondition, "ip-cidr",
                    "did not apply: the flow has a name and no address, and nstun never resolves names to match rules");
        }
        if (name == null) {
            note(lines, before, Rule::hasNameCondition, "domain",
                    "did not apply: the flow has an address and no name (flows carry a name when the command looked it up "
                            + "through nstun's fake-IP DNS)");
        }
        if (flow.port() == 0) {
            note(lines, before, r -> !r.ports().isEmpty() && r.matchesDestination(name, address) && r.matchesNetwork(network),
                    "port", "were skipped: no port was given");
        }
        if (!(outbound instanceof Outbound.Reject || outbound instanceof Outbound.Drop) && !outbound.carries(network)) {
            lines.add("  note: " + outbound.name() + " (" + outbound.type() + ") cannot carry " + network.label()
                    + (outbound instanceof Outbound.Socks5 ? " without 'udp: true'" : "") + ": this flow would be refused");
        }
        if (name != null && policy.dns().mode() == DnsSettings.Mode.FORWARD) {
            lines.add("  note: dns mode is forward: the command connects to the addresses the upstream returns, so its flows "
                    + "to this name carry an address, not the name");
        }
        return String.join("\n", lines);
    }

    /** Lists a group's members as the flow would meet them, nested groups indented under theirs. */
    private static void group(List<String> lines, Outbound.Group group, Network network, String indent) {
        if (network == Network.UDP) {
            Optional<Outbound> member = group.udpMember();
            lines.add(indent + "group " + group.name() + " (" + group.type() + "): UDP goes through "
                    + member.map(m -> m.name() + ", its first member that carries UDP").orElse("none of its members: none carries UDP"));
            return;
        }
        String order = switch (group.strategy()) {
            case FALLBACK -> "in this order";
            case RANDOM -> "from one chosen at random, then on in this order";
            case ROUND_ROBIN -> "each flow from the member after the previous flow's first, then on in this order";
        };
        lines.add(indent + "group " + group.name() + " (" + group.type() + "): members tried " + order + " until one connects, all within "
                + formatSeconds(group.connectTimeout()) + "; a member that failed is tried last for a while (back-off)");
        int i = 1;
        for (Outbound member : group.members()) {
            lines.add(indent + "  " + i++ + ". " + member.name() + " (" + member.describe() + ")");
            if (member instanceof Outbound.Group nested) {
                group(lines, nested, network, indent + "     ");
            }
        }
    }

    private static String formatSeconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String reason(Rule rule, FlowKey flow) {
        if (rule.isImplicit()) {
            return "no rule of the file; a policy without a final rule rejects what no rule matches";
        }
        if (rule.isCatchAll()) {
            return "rule " + rule.number() + " has only an outbound, so it matches every flow";
        }
        List<String> parts = new ArrayList<>();
        if (rule.hasDestinationCondition()) {
            String byName = flow.domain().map(rule::matchingNameValue).orElse(null);
            String byAddress = flow.address().map(a -> rule.matchingAddressValue(a.getAddress())).orElse(null);
            parts.add(byName != null ? byName : byAddress);
        }
        if (!rule.ports().isEmpty()) {
            PortRange range = rule.ports().stream().filter(r -> r.contains(flow.port())).findFirst().orElseThrow();
            parts.add("port " + range);
        }
        if (!rule.networks().isEmpty()) {
            parts.add("network " + flow.network().label());
        }
        return String.join(", ", parts);
    }

    private static void note(List<String> lines, List<Rule> rules, Predicate<Rule> which, String kind, String what) {
        List<Integer> numbers = rules.stream().filter(which).map(Rule::number).toList();
        if (numbers.isEmpty()) {
            return;
        }
        String listed = numbers.stream().limit(LISTED_RULES).map(String::valueOf).collect(Collectors.joining(", "))
                + (numbers.size() > LISTED_RULES ? ", …" : "");
        lines.add("  note: " + kind + " conditions of earlier " + (numbers.size() == 1 ? "rule " : "rules ") + listed + " " + what);
    }

    /** Reads {@code host[:port]}, {@code [v6][:port]} or a bare IPv6 address. */
    static FlowKey parse(String destination, Network network) {
        String text = destination.strip();
        String host;
        String portText = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || (close + 1 < text.length() && text.charAt(close + 1) != ':')) {
                throw new IllegalArgumentException(bad(destination));
            }
            host = text.substring(1, close);
            portText = close + 1 < text.length() ? text.substring(close + 2) : null;
        } else if (text.indexOf(':') != text.lastIndexOf(':')) {
            host = text;
        } else {
            int colon = text.indexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            portText = colon < 0 ? null : text.substring(colon + 1);
        }
        int port = 0;
        if (portText != null) {
            port = portText.matches("[0-9]{1,5}") ? Integer.parseInt(portText) : -1;
            if (port < 1 || port > PortRange.MAX_PORT) {
                throw new IllegalArgumentException("'" + portText + "' is not a port (expected 1 to 65535)");
            }
        }
        Optional<InetAddress> address = IpLiteral.parse(host);
        if (address.isPresent()) {
            return FlowKey.ofAddress(address.get(), port, network);
        }
        if (host.isEmpty() || host.indexOf(':') >= 0 || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(bad(destination));
        }
        return FlowKey.ofDomain(host, port, network);
    }

    private static String bad(String destination) {
        return "cannot read destination '" + destination + "': expected HOST[:PORT], e.g. example.com:443, 10.0.0.1:22 or "
                + "[fd00::1]:443";
    }
}
