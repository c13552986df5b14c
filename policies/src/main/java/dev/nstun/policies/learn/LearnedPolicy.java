package dev.nstun.policies.learn;

import dev.nstun.policies.config.Cidr;
import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.config.PortRange;
import dev.nstun.policies.config.Problem;
import dev.nstun.policies.config.ProxyUrl;
import dev.nstun.policies.config.Rule;
import dev.nstun.policies.config.UserFile;
import dev.nstun.policies.rules.FlowKey;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code nstun run --learn FILE} writes: a policy file with one rule per destination the
 * run's flows went to (a name, or for flows to address literals the address; the port; the
 * network; the outbound), sorted, each commented with when it was first seen and how many flows
 * went there, and no final rule, so that everything else is rejected. The outbounds and DNS
 * settings of the run are declared, so the file replays the way the run went: a run through
 * {@code --socks5 URL} replays through that proxy (its password from
 * {@value ProxyUrl#PASSWORD_VARIABLE}, never written). Learning into an existing file merges: its
 * learned rules count on, and its hand-written rules, each on one line in flow style, are kept
 * verbatim before the learned ones.
 *
 * <p>Flows that a reject or drop outbound took are not learned. Thread-safe: flows are recorded
 * from the dialing threads.
 */
public final class LearnedPolicy {
    /** The name of the password variable a learned proxy outbound reads. */
    private static final String PASSWORD_ENV = ProxyUrl.PASSWORD_VARIABLE;
    private static final Pattern SEEN = Pattern.compile("#\\s*first seen (\\S+), (\\d+) flows?\\s*$");
    private static final Pattern ONE_LINE_RULE = Pattern.compile("^\\s*-\\s*\\{.*}\\s*(#.*)?$");

    /**
     * A learned destination: a normalized name, or an address as a one-address prefix.
     *
     * @param name    the name, or empty for an address
     * @param address the address as a /32 or /128, or empty for a name
     */
    record Destination(Optional<String> name, Optional<Cidr> address, int port, Network network, String outbound) {
        private static final Comparator<Destination> ORDER = Comparator
                .comparing((Destination d) -> d.name().isEmpty())
                .thenComparing(d -> d.name().map(LearnedPolicy::reversedLabels).orElse(""))
                .thenComparing(d -> d.address().map(c -> c.networkBytes().length).orElse(0))
                .thenComparing(d -> d.address().map(c -> new BigInteger(1, c.networkBytes())).orElse(BigInteger.ZERO))
                .thenComparingInt(Destination::port)
                .thenComparing(Destination::network)
                .thenComparing(Destination::outbound);

        Rule rule(int index) {
            return new Rule(index, name.stream().toList(), List.of(), List.of(), List.of(), address.stream().toList(), List.of(),
                    List.of(new PortRange(port, port)), Set.of(network), outbound, Location.nowhere("learned"));
        }
    }

    /**
     * When a destination was first seen (empty when a merged file did not say) and how many flows
     * went there.
     */
    record Seen(Optional<Instant> first, long flows) {
        Seen plus(Seen other) {
            Optional<Instant> earliest = first.isEmpty() ? other.first
                    : other.first.isEmpty() || first.get().isBefore(other.first.get()) ? first : other.first;
            return new Seen(earliest, flows + other.flows);
        }
    }

    private final Policy run;
    private final List<String> keptRules;
    private final Map<Destination, Seen> seen = new ConcurrentHashMap<>();

    private LearnedPolicy(Policy run, List<String> keptRules) {
        this.run = run;
        this.keptRules = List.copyOf(keptRules);
    }

    /** Starts learning from a run under {@code run} (a one-outbound policy, possibly restricted by an {@link dev.nstun.policies.config.AccessList}). */
    public static LearnedPolicy start(Policy run) {
        return new LearnedPolicy(run, List.of());
    }

    /**
     * Starts learning into the existing file {@code fileName} whose content is {@code text}: its
     * learned rules are taken over, its other rules kept as written.
     *
     * @throws PolicyException when the file does not load, declares an outbound this run does not
     *     have (it was learned through another proxy), or holds a rule that is neither learned nor
     *     written on one line
     */
    public static LearnedPolicy merging(Policy run, String fileName, String text, Path baseDir, Environment environment)
            throws PolicyException {
        Policy existing = PolicyLoader.parse(fileName, text, baseDir, withRunPassword(run, environment));
        List<Problem> problems = new ArrayList<>();
        for (Outbound declared : existing.outbounds().values()) {
            Optional<Outbound> now = run.outbound(declared.name());
            if (declared.location().inFile() && (now.isEmpty() || !now.get().describe().equals(declared.describe()))) {
                problems.add(Problem.at(declared.location(), "outbound " + declared.name() + " (" + declared.describe() + ") is not how this"
                        + " run goes out (" + now.map(Outbound::describe).orElse("it has no such outbound") + "): learn into a new file"));
            }
        }
        String[] lines = text.split("\n", -1);
        List<String> kept = new ArrayList<>();
        Map<Destination, Seen> earlier = new HashMap<>();
        for (Rule r : existing.rules()) {
            String line = r.location().inFile() ? lines[r.location().line() - 1] : "";
            Optional<Destination> d = learnedForm(r);
            if (d.isPresent()) {
                earlier.merge(d.get(), seenIn(line), Seen::plus);
            } else if (r.isCatchAll() && existing.outbound(r.outbound()).orElseThrow() instanceof Outbound.Reject) {
                // What this class writes when nothing was learned yet; the file rejects the rest anyway.
                continue;
            } else if (r.location().inFile() && ONE_LINE_RULE.matcher(line).matches()) {
                kept.add(line.strip());
            } else if (r.location().inFile()) {
                problems.add(Problem.at(r.location(), "rule " + r.number() + " spans several lines: write it on one line in flow style"
                        + " ({…}) to keep it when learning, or learn into a new file"));
            }
        }
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        LearnedPolicy learned = new LearnedPolicy(run, kept);
        learned.seen.putAll(earlier);
        return learned;
    }

    /** Returns what the comment of a learned rule's line says; a line without one (or an unreadable one) says nothing. */
    private static Seen seenIn(String line) {
        Matcher m = SEEN.matcher(line);
        if (!m.find()) {
            return new Seen(Optional.empty(), 0);
        }
        try {
            return new Seen(Optional.of(Instant.parse(m.group(1))), Long.parseLong(m.group(2)));
        } catch (DateTimeParseException | NumberFormatException e) {
            return new Seen(Optional.empty(), 0);
        }
    }

    /**
     * Returns {@code environment} where the password variable, if unset, holds the run's proxy
     * password, or a stand-in: the merged file's outbounds are only compared, never dialed, so
     * loading it must not fail for a password the run does not need.
     */
    private static Environment withRunPassword(Policy run, Environment environment) {
        Optional<String> password = Optional.of(run.outbounds().values().stream().map(LearnedPolicy::credentials).flatMap(Optional::stream)
                .map(Credentials::password).findFirst().orElse("(not needed to merge)"));
        return new Environment() {
            @Override
            public Optional<String> variable(String name) {
                Optional<String> set = environment.variable(name);
                return set.isEmpty() && name.equals(PASSWORD_ENV) ? password : set;
            }

            @Override
            public Path home() {
                return environment.home();
            }

            @Override
            public String readFile(Path path) throws UserFile.Unreadable {
                return environment.readFile(path);
            }
        };
    }

    /** Returns the destination a rule stands for when it has the form {@link #render} writes. */
    private static Optional<Destination> learnedForm(Rule r) {
        boolean oneDestination = r.domains().size() + r.ipCidrs().size() == 1 && r.domainSuffixes().isEmpty()
                && r.domainKeywords().isEmpty() && r.domainRegexes().isEmpty() && r.ruleSets().isEmpty();
        boolean onePort = r.ports().size() == 1 && r.ports().get(0).from() == r.ports().get(0).to();
        if (!oneDestination || !onePort || r.networks().size() != 1) {
            return Optional.empty();
        }
        Optional<Cidr> address = r.ipCidrs().stream().findFirst();
        if (address.isPresent() && address.get().prefixLength() != address.get().networkBytes().length * 8) {
            return Optional.empty();
        }
        return Optional.of(new Destination(r.domains().stream().findFirst(), address, r.ports().get(0).from(),
                r.networks().iterator().next(), r.outbound()));
    }

    /** Records a flow that {@code outbound} took at {@code now}; flows rejected or dropped are not learned. */
    public void record(FlowKey flow, Outbound outbound, Instant now) {
        if (!outbound.carries(Network.TCP) || flow.port() == 0) {
            return;
        }
        Optional<Cidr> address = flow.domain().isPresent() ? Optional.empty() : flow.address().map(LearnedPolicy::single);
        Destination d = new Destination(flow.domain(), address, flow.port(), flow.network(), outbound.name());
        seen.merge(d, new Seen(Optional.of(now.truncatedTo(ChronoUnit.SECONDS)), 1), Seen::plus);
    }

    /** Returns how many destinations are learned so far (merged ones included). */
    public int size() {
        return seen.size();
    }

    /** Returns the policy file text. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("# Learned by nstun run --learn: one rule per destination the command reached (first seen, flows).\n")
                .append("# Everything else is rejected: there is no final rule. Replay: nstun run -p THIS-FILE -- COMMAND;\n")
                .append("# learn more into it: nstun run --learn THIS-FILE … (hand-written one-line rules are kept).\n");
        List<Outbound> declared = run.outbounds().values().stream().filter(LearnedPolicy::isDeclared).toList();
        if (!declared.isEmpty()) {
            out.append("outbounds:\n");
            if (declared.stream().anyMatch(o -> credentials(o).isPresent())) {
                out.append("  # The password is not written here: set ").append(PASSWORD_ENV).append(" when running.\n");
            }
            for (Outbound o : declared) {
                out.append("  - ").append(declaration(o)).append('\n');
            }
        }
        out.append("rules:\n");
        for (String line : keptRules) {
            out.append("  ").append(line).append('\n');
        }
        List<Map.Entry<Destination, Seen>> sorted = seen.entrySet().stream().sorted(Map.Entry.comparingByKey(Destination.ORDER)).toList();
        for (Map.Entry<Destination, Seen> e : sorted) {
            Seen s = e.getValue();
            out.append("  - ").append(e.getKey().rule(0).text()).append("  # ")
                    .append(s.first().map(t -> "first seen " + t + ", ").orElse(""))
                    .append(s.flows()).append(s.flows() == 1 ? " flow" : " flows").append('\n');
        }
        if (keptRules.isEmpty() && sorted.isEmpty()) {
            out.append("  - {outbound: reject}  # nothing learned yet\n");
        }
        DnsSettings dns = run.dns();
        out.append("dns: {upstream: \"").append(dns.upstream()).append("\", via: ").append(run.dnsOutbound().name()).append("}\n");
        return out.toString();
    }

    /** Returns whether {@code o} is declared in the file: proxies and groups (whose members are declared beside them). */
    private static boolean isDeclared(Outbound o) {
        return o instanceof Outbound.Socks5 || o instanceof Outbound.Http || o instanceof Outbound.Group;
    }

    private static Optional<Credentials> credentials(Outbound o) {
        return switch (o) {
            case Outbound.Socks5 s -> s.credentials();
            case Outbound.Http h -> h.credentials();
            default -> Optional.empty();
        };
    }

    /** Returns the flow-style declaration of a proxy outbound, its password left to {@value ProxyUrl#PASSWORD_VARIABLE}. */
    private static String declaration(Outbound o) {
        StringBuilder s = new StringBuilder("{name: " + o.name() + ", type: " + o.type());
        Optional<Credentials> c = credentials(o);
        switch (o) {
            case Outbound.Socks5 socks -> s.append(", server: ").append(quote(socks.server().toString()));
            case Outbound.Http http -> s.append(", server: ").append(quote(http.server().toString()));
            case Outbound.Group group -> {
                s.append(", members: [").append(String.join(", ", group.members().stream().map(m -> quote(m.name())).toList())).append(']');
                if (!group.connectTimeout().equals(Outbound.DEFAULT_CONNECT_TIMEOUT)) {
                    s.append(", connect-timeout: ").append(group.connectTimeout().toMillis()).append("ms");
                }
            }
            default -> throw new IllegalArgumentException("only proxies and groups are declared: " + o.describe());
        }
        c.ifPresent(creds -> s.append(", username: ").append(quote(creds.username())).append(", password-env: ").append(PASSWORD_ENV));
        if (o instanceof Outbound.Socks5 socks && socks.udp()) {
            s.append(", udp: true");
        }
        return s.append('}').toString();
    }

    /** Returns {@code text} as a double-quoted YAML scalar. */
    private static String quote(String text) {
        StringBuilder s = new StringBuilder("\"");
        for (char ch : text.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                s.append('\\').append(ch);
            } else if (ch < 0x20 || ch == 0x7f) {
                s.append(String.format("\\x%02x", (int) ch));
            } else {
                s.append(ch);
            }
        }
        return s.append('"').toString();
    }

    private static Cidr single(InetAddress address) {
        return new Cidr(address, address.getAddress().length * 8);
    }

    /** Returns {@code api.github.com} as {@code com.github.api}, so that names of one domain sort together. */
    private static String reversedLabels(String name) {
        List<String> labels = new ArrayList<>(List.of(name.split("\\.")));
        Collections.reverse(labels);
        return String.join(".", labels);
    }
}
