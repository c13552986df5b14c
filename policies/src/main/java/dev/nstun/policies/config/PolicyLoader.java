package dev.nstun.policies.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Loads a policy file: YAML to nodes ({@link YamlSource}), nodes to values (the readers), then
 * the checks that span sections (outbound names, unreachable rules, what the DNS upstream goes
 * through). Every problem is collected; a file with any problem gives a {@link PolicyException}
 * holding all of them.
 */
public final class PolicyLoader {
    static final List<String> TOP_KEYS = List.of("outbounds", "dns", "rule-sets", "rules");
    private static final Map<String, String> TOP_HINTS = Map.of(
            "proxies", "did you mean 'outbounds'? (clash's 'proxies')",
            "route", "rules go at the top level: rules: [...] (sing-box's route.rules)",
            "proxy-groups", "proxy groups are not supported: each rule names one outbound",
            "final", "the final rule is the last of 'rules', with only an outbound: - {outbound: corp}",
            "inbounds", "nstun has no inbounds: the wrapped command's traffic is the input",
            "rule-providers", "did you mean 'rule-sets'? a list of {name, file, format: clash, behavior} (clash's rule-providers "
                    + "of type file)");

    private PolicyLoader() {
    }

    /** Loads a policy file with the process's environment, home directory and file system. */
    public static Policy load(Path file) throws PolicyException {
        return load(file, Environment.system());
    }

    /**
     * Loads a policy file and the rule-set files it names. Relative {@code password-file} and rule-set
     * {@code file} paths are relative to the file's directory.
     *
     * @throws PolicyException listing every problem, each with file, line and column
     */
    public static Policy load(Path file, Environment environment) throws PolicyException {
        String name = file.toString();
        String text;
        try {
            text = UserFile.read(file, UserFile.Kind.POLICY);
        } catch (UserFile.Unreadable e) {
            throw new PolicyException(List.of(Problem.at(Location.nowhere(name), "cannot read the policy: " + e.getMessage())));
        }
        Path parent = file.toAbsolutePath().getParent();
        return parse(name, text, parent == null ? Path.of("").toAbsolutePath() : parent, environment);
    }

    /**
     * Loads policy text.
     *
     * @param fileName    the name problems carry (as the user would type it)
     * @param baseDir     the directory relative password-file and rule-set paths start from
     * @param environment environment variables, home directory and file reading
     * @throws PolicyException listing every problem
     */
    public static Policy parse(String fileName, String text, Path baseDir, Environment environment) throws PolicyException {
        Problems problems = new Problems(fileName);
        Optional<Node> root = YamlSource.compose(text, problems);
        if (root.isEmpty()) {
            if (problems.isEmpty()) {
                problems.add(new Location(fileName, 1, 1), "the policy is empty: expected a map with the keys "
                        + String.join(", ", TOP_KEYS) + " (rules at least)");
            }
            throw new PolicyException(problems.sorted());
        }
        Nodes nodes = new Nodes(problems);
        Optional<MappingNode> top = nodes.map(root.get(), "a map with the keys " + String.join(", ", TOP_KEYS));
        if (top.isEmpty()) {
            throw new PolicyException(problems.sorted());
        }
        Map<String, NodeTuple> entries = nodes.entries(top.get());
        nodes.rejectUnknownKeys(entries, "the policy", TOP_KEYS, TOP_HINTS);

        OutboundReader.Declared declared = new OutboundReader(nodes, environment, baseDir).read(Nodes.value(entries, "outbounds"));
        Optional<Node> rulesNode = Nodes.value(entries, "rules");
        if (rulesNode.isEmpty()) {
            problems.add(top.get(), "the policy has no 'rules' (add at least a final rule: rules: [{outbound: direct}])");
        }
        RuleSetReader.Declared ruleSets = Nodes.value(entries, "rule-sets")
                .map(n -> new RuleSetReader(nodes, environment, baseDir).read(n)).orElse(RuleSetReader.Declared.NONE);
        List<RuleReader.Draft> drafts = rulesNode.map(n -> new RuleReader(nodes, ruleSets).read(n)).orElse(List.of());
        DnsReader.Draft dns = Nodes.value(entries, "dns").map(n -> new DnsReader(nodes).read(n)).orElse(DnsReader.Draft.DEFAULT);

        checkOutboundNames(drafts, dns, declared, problems);
        checkReachability(drafts, problems);
        checkUdpOnlyRules(drafts, declared.outbounds(), problems);
        if (!problems.isEmpty()) {
            throw new PolicyException(problems.sorted());
        }
        List<Rule> rules = new ArrayList<>();
        for (RuleReader.Draft draft : drafts) {
            rules.add(draft.rule().orElseThrow());
        }
        if (rules.isEmpty() || !rules.get(rules.size() - 1).isCatchAll()) {
            rules.add(Rule.implicitFinal(rules.size(), Policy.IMPLICIT_FINAL_OUTBOUND, fileName));
        }
        Policy policy = new Policy(fileName, declared.outbounds(), rules, dns.settings().orElseThrow());
        checkDnsCarrier(policy, dns, problems);
        if (!problems.isEmpty()) {
            throw new PolicyException(problems.sorted());
        }
        return policy;
    }

    /** Every outbound a rule or dns.via names must exist (declared, or built in). */
    private static void checkOutboundNames(List<RuleReader.Draft> drafts, DnsReader.Draft dns, OutboundReader.Declared declared,
                                           Problems problems) {
        for (RuleReader.Draft draft : drafts) {
            if (draft.outbound().isPresent()) {
                checkName(draft.outbound().get(), draft.outboundNode().orElseThrow(), declared.names(), problems);
            }
        }
        if (dns.settings().isPresent() && dns.settings().get().via().isPresent()) {
            checkName(dns.settings().get().via().get(), dns.viaNode().orElseThrow(), declared.names(), problems);
        }
    }

    private static void checkName(String name, Node node, Set<String> known, Problems problems) {
        if (known.contains(name)) {
            return;
        }
        List<String> builtIns = Outbound.builtIns().stream().map(Outbound::name).toList();
        List<String> mine = known.stream().filter(n -> !builtIns.contains(n)).toList();
        problems.add(node, "unknown outbound " + Nodes.quote(name) + " (" + (mine.isEmpty() ? "" : "declared: "
                + String.join(", ", mine) + "; ") + "built in: " + String.join(", ", builtIns) + ")"
                + Suggest.didYouMean(name, known));
    }

    /** A catch-all rule before the end hides every rule after it. */
    private static void checkReachability(List<RuleReader.Draft> drafts, Problems problems) {
        for (int i = 0; i < drafts.size() - 1; i++) {
            if (!drafts.get(i).catchAll()) {
                continue;
            }
            RuleReader.Draft catchAll = drafts.get(i);
            int firstHidden = drafts.get(i + 1).index() + 1;
            int lastHidden = drafts.get(drafts.size() - 1).index() + 1;
            String hidden = firstHidden == lastHidden ? "rule " + firstHidden + " can" : "rules " + firstHidden + " to " + lastHidden
                    + " can";
            problems.add(drafts.get(i + 1).node(), hidden + " never match: rule " + (catchAll.index() + 1) + " (line "
                    + problems.at(catchAll.node()).line() + ") has only an outbound, so it matches every flow; move it to the end");
            return;
        }
    }

    /** A rule limited to UDP that names a TCP-only proxy would refuse everything it matches. */
    private static void checkUdpOnlyRules(List<RuleReader.Draft> drafts, Map<String, Outbound> outbounds, Problems problems) {
        for (RuleReader.Draft draft : drafts) {
            if (!draft.networks().equals(Set.of(Network.UDP)) || draft.outbound().isEmpty()) {
                continue;
            }
            Outbound target = outbounds.get(draft.outbound().get());
            String why = udpless(target);
            if (why != null) {
                problems.add(draft.outboundNode().orElseThrow(), "this rule matches only UDP flows, but '" + target.name() + "' is "
                        + why);
            }
        }
    }

    /** Returns why an outbound that relays flows cannot carry UDP, or null when it can or relays nothing (reject, drop). */
    private static String udpless(Outbound outbound) {
        if (outbound.carries(Network.UDP) || outbound instanceof Outbound.Reject || outbound instanceof Outbound.Drop) {
            return null;
        }
        return switch (outbound) {
            case Outbound.Socks5 s -> "a socks5 outbound without 'udp: true'";
            default -> "an " + outbound.type() + " outbound, which carries TCP only";
        };
    }

    /** The outbound that carries queries to the upstream must be able to. */
    private static void checkDnsCarrier(Policy policy, DnsReader.Draft draft, Problems problems) {
        DnsSettings dns = policy.dns();
        Outbound carrier = policy.dnsOutbound();
        boolean explicit = dns.via().isPresent();
        String through = explicit ? "'" + carrier.name() + "'"
                : "'" + carrier.name() + "' (the final rule's outbound; set dns.via to choose another)";
        if (carrier instanceof Outbound.Reject || carrier instanceof Outbound.Drop) {
            if (explicit) {
                problems.add(draft.viaNode().orElseThrow(), "dns.via '" + carrier.name() + "' is a " + carrier.type()
                        + " outbound, which cannot carry DNS queries (expected a socks5, http or direct outbound)");
            } else if (dns.mode() == DnsSettings.Mode.FORWARD) {
                problems.add(draft.modeNode().orElseThrow(), "mode forward sends every query to the upstream, but queries would go "
                        + "through " + through + ", a " + carrier.type() + " outbound, so no name would resolve");
            }
            return;
        }
        if (dns.upstream().transport() == Network.UDP) {
            String why = udpless(carrier);
            if (why != null) {
                problems.add(draft.upstreamNode().orElseThrow(), "upstream " + dns.upstream() + " needs UDP, but queries go through "
                        + through + ", " + why + "; use tcp://" + dns.upstream().server());
            }
        }
    }
}
