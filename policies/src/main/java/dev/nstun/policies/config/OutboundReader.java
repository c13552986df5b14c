package dev.nstun.policies.config;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads the {@code outbounds} list: one map per outbound, keys depending on its type. Groups
 * ({@code fallback}, {@code random}, {@code round-robin}) name their members, so they are built
 * once every outbound has been read, members first.
 */
final class OutboundReader {
    static final List<String> TYPES = List.of("socks5", "http", "direct", "reject", "drop", "fallback", "random", "round-robin");
    private static final List<String> GROUP_KEYS = List.of("name", "type", "members", "connect-timeout");

    private static final List<String> PROXY_KEYS = List.of("name", "type", "server", "username", "password", "password-file",
            "password-env", "connect-timeout");
    private static final Map<String, List<String>> KEYS_BY_TYPE = Map.of(
            "socks5", List.of("name", "type", "server", "username", "password", "password-file", "password-env", "udp",
                    "isolate", "connect-timeout"),
            "http", PROXY_KEYS,
            "direct", List.of("name", "type", "interface", "fwmark", "source-address", "connect-timeout"),
            "reject", List.of("name", "type"),
            "drop", List.of("name", "type"),
            "fallback", GROUP_KEYS,
            "random", GROUP_KEYS,
            "round-robin", GROUP_KEYS);
    private static final List<String> ALL_KEYS = List.of("name", "type", "server", "username", "password", "password-file",
            "password-env", "udp", "isolate", "interface", "fwmark", "source-address", "connect-timeout", "members");
    /** How other tools spell what these keys say. */
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("tag", "outbounds are named with 'name' (sing-box's 'tag')"),
            Map.entry("port", "the port goes into 'server', e.g. server: proxy.example:1080"),
            Map.entry("server_port", "the port goes into 'server', e.g. server: proxy.example:1080"),
            Map.entry("server-port", "the port goes into 'server', e.g. server: proxy.example:1080"),
            Map.entry("bind_interface", "did you mean 'interface'?"),
            Map.entry("bind-interface", "did you mean 'interface'?"),
            Map.entry("interface-name", "did you mean 'interface'?"),
            Map.entry("routing_mark", "did you mean 'fwmark'?"),
            Map.entry("routing-mark", "did you mean 'fwmark'?"),
            Map.entry("mark", "did you mean 'fwmark'?"),
            Map.entry("inet4_bind_address", "did you mean 'source-address'?"),
            Map.entry("inet6_bind_address", "did you mean 'source-address'?"),
            Map.entry("bind-address", "did you mean 'source-address'?"),
            Map.entry("timeout", "did you mean 'connect-timeout'?"),
            Map.entry("version", "'type: socks5' already says SOCKS version 5, the only one supported"),
            Map.entry("network", "a socks5 outbound carries UDP when it has 'udp: true'"),
            Map.entry("proxies", "a group lists its outbounds in 'members' (clash's 'proxies')"),
            Map.entry("outbounds", "a group lists its outbounds in 'members' (sing-box's 'outbounds')"),
            Map.entry("url", "nstun sends no health probes: a member that fails a connection is skipped for a while"),
            Map.entry("interval", "nstun sends no health probes: a member that fails a connection is skipped for a while"));
    private static final Map<String, String> TYPE_HINTS = Map.of(
            "socks", "did you mean 'socks5'?",
            "block", "did you mean 'reject' (refuse at once) or 'drop' (no answer at all)?",
            "https", "TLS to the proxy is not supported yet; 'http' speaks plain HTTP CONNECT",
            "socks4", "only SOCKS5 is supported",
            "socks4a", "only SOCKS5 is supported",
            "url-test", "nstun sends no health probes; 'fallback' tries the members in order and skips one that just failed",
            "urltest", "nstun sends no health probes; 'fallback' tries the members in order and skips one that just failed",
            "load-balance", "did you mean 'random' or 'round-robin'?",
            "roundrobin", "did you mean 'round-robin'?",
            "round_robin", "did you mean 'round-robin'?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_NAME_LENGTH = 64;
    /** RFC 1929: username and password are each 1 to 255 bytes. */
    private static final int MAX_SOCKS_CREDENTIAL_BYTES = 255;
    /** Linux interface names are at most IFNAMSIZ - 1 bytes. */
    private static final int MAX_INTERFACE_LENGTH = 15;
    private static final long MAX_FWMARK = 0xffff_ffffL;

    /**
     * What the list declared: the valid outbounds merged with the built-ins, every declared name
     * (valid or not, so that rules naming a broken outbound get no second error), and the node of
     * each declared name.
     */
    record Declared(Map<String, Outbound> outbounds, Set<String> names) {
    }

    /** A group as read, its members still names. */
    private record GroupDraft(String name, Outbound.Group.Strategy strategy, List<ScalarNode> members, Duration connectTimeout,
                              Location location) {
    }

    private final Nodes nodes;
    private final Problems problems;
    private final Environment environment;
    private final Path baseDir;

    OutboundReader(Nodes nodes, Environment environment, Path baseDir) {
        this.nodes = nodes;
        this.problems = nodes.problems();
        this.environment = environment;
        this.baseDir = baseDir;
    }

    /** Reads the {@code outbounds} value (absent: only the built-ins). */
    Declared read(Optional<Node> list) {
        Map<String, Outbound> declared = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>();
        Map<String, Node> nameNodes = new HashMap<>();
        Map<String, GroupDraft> groups = new LinkedHashMap<>();
        list.flatMap(n -> nodes.list(n, "a list of outbounds, e.g. - {name: corp, type: socks5, server: 10.0.0.5:1080}"))
                .ifPresent(seq -> {
                    for (Node item : seq.getValue()) {
                        readOne(item, declared, names, nameNodes, groups);
                    }
                });
        Map<String, Outbound> all = new LinkedHashMap<>(declared);
        for (Outbound builtIn : Outbound.builtIns()) {
            Outbound mine = declared.get(builtIn.name());
            GroupDraft group = groups.remove(builtIn.name());
            String mineType = mine != null ? mine.type() : group != null ? group.strategy().spelling() : null;
            if (mineType == null && !names.contains(builtIn.name())) {
                all.put(builtIn.name(), builtIn);
            } else if (mineType != null && !mineType.equals(builtIn.type())) {
                problems.add(nameNodes.get(builtIn.name()), "'" + builtIn.name() + "' is a built-in outbound of type "
                        + builtIn.type() + ": declare it with type " + builtIn.type() + " (to set its options) or choose another name");
            }
        }
        names.addAll(all.keySet());
        Set<String> failed = new HashSet<>();
        for (GroupDraft group : groups.values()) {
            buildGroup(group, groups, all, names, new ArrayList<>(), failed);
        }
        // In file order, built-ins last, groups among the rest.
        Map<String, Outbound> ordered = new LinkedHashMap<>();
        for (String name : names) {
            if (all.containsKey(name)) {
                ordered.put(name, all.get(name));
            }
        }
        return new Declared(ordered, names);
    }

    /**
     * Builds {@code group} into {@code all} unless a member is unknown, reject or drop, broken
     * itself, or leads back to the group ({@code path} holds the groups being built around it).
     * Returns the group, or null after recording why there is none.
     */
    private Outbound buildGroup(GroupDraft group, Map<String, GroupDraft> groups, Map<String, Outbound> all, Set<String> names,
                                List<String> path, Set<String> failed) {
        if (all.containsKey(group.name())) {
            return all.get(group.name());
        }
        if (failed.contains(group.name())) {
            return null;
        }
        path.add(group.name());
        List<Outbound> members = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        boolean ok = true;
        for (ScalarNode node : group.members()) {
            String member = node.getValue();
            String where = "member " + Nodes.quote(member) + " of " + group.strategy().spelling() + " outbound '" + group.name() + "'";
            if (!listed.add(member)) {
                problems.add(node, where + " is listed twice");
                ok = false;
                continue;
            }
            int cycle = path.indexOf(member);
            if (cycle >= 0) {
                List<String> loop = new ArrayList<>(path.subList(cycle, path.size()));
                loop.add(member);
                problems.add(node, where + " leads back to '" + member + "': " + String.join(" → ", loop)
                        + " (a group cannot contain itself)");
                ok = false;
                continue;
            }
            Outbound resolved = all.get(member);
            if (resolved == null && groups.containsKey(member)) {
                resolved = buildGroup(groups.get(member), groups, all, names, path, failed);
                if (resolved == null) {
                    ok = false; // the member's own problems are reported where it is declared
                    continue;
                }
            }
            if (resolved == null) {
                if (!names.contains(member)) {
                    List<String> known = names.stream().filter(n -> !n.equals(group.name())).toList();
                    problems.add(node, where + " is not an outbound (declared or built in: " + String.join(", ", known) + ")"
                            + Suggest.didYouMean(member, known));
                }
                ok = false;
                continue;
            }
            if (resolved instanceof Outbound.Reject || resolved instanceof Outbound.Drop) {
                problems.add(node, where + " is a " + resolved.type() + " outbound, which carries no flow: a group's members are"
                        + " socks5, http, direct or other groups (put a reject or drop rule after the group's rule instead)");
                ok = false;
                continue;
            }
            members.add(resolved);
        }
        path.remove(path.size() - 1);
        if (!ok || members.isEmpty()) {
            failed.add(group.name());
            return null;
        }
        Outbound built = new Outbound.Group(group.name(), group.strategy(), members, group.connectTimeout(), group.location());
        all.put(group.name(), built);
        return built;
    }

    /** Returns the member names of a group, or an empty list after recording why there are none. */
    private List<ScalarNode> members(MappingNode map, Map<String, NodeTuple> entries, String where, Set<String> misspelled) {
        Optional<Node> node = Nodes.value(entries, "members");
        if (node.isEmpty()) {
            if (!misspelled.contains("members")) {
                problems.add(map, where + " has no 'members' (expected a list of outbound names, e.g. members: [corp-a, corp-b])");
            }
            return List.of();
        }
        Optional<SequenceNode> seq = nodes.list(node.get(), "a list of outbound names for 'members', e.g. [corp-a, corp-b]");
        if (seq.isEmpty()) {
            return List.of();
        }
        if (seq.get().getValue().isEmpty()) {
            problems.add(node.get(), where + " has no members: list the outbounds it chooses from, e.g. members: [corp-a, corp-b]");
            return List.of();
        }
        List<ScalarNode> out = new ArrayList<>();
        for (Node item : seq.get().getValue()) {
            nodes.text(item, "an outbound name in 'members'").ifPresent(text -> out.add((ScalarNode) item));
        }
        return out;
    }

    private void readOne(Node item, Map<String, Outbound> declared, Set<String> names, Map<String, Node> nameNodes,
                         Map<String, GroupDraft> groups) {
        Optional<MappingNode> map = nodes.map(item, "an outbound such as {name: corp, type: socks5, server: 10.0.0.5:1080}");
        if (map.isEmpty()) {
            return;
        }
        int before = problems.count();
        Map<String, NodeTuple> entries = nodes.entries(map.get());
        Optional<String> name = Nodes.value(entries, "name").flatMap(this::readName);
        Optional<String> type = Nodes.value(entries, "type").flatMap(this::readType);
        String where = type.map(t -> t + " outbound").orElse("outbound") + name.map(n -> " '" + n + "'").orElse("");
        List<String> allowed = type.map(KEYS_BY_TYPE::get).orElse(ALL_KEYS);
        Set<String> misspelled = nodes.rejectUnknownKeys(entries, where, allowed, hintsFor(allowed));
        if (!entries.containsKey("name") && !misspelled.contains("name")) {
            problems.add(map.get(), "outbound has no 'name' (rules refer to outbounds by name)");
        }
        if (!entries.containsKey("type") && !misspelled.contains("type")) {
            problems.add(map.get(), where + " has no 'type' (expected one of: " + String.join(", ", TYPES) + ")");
        }
        if (name.isPresent()) {
            Node nameNode = Nodes.value(entries, "name").orElseThrow();
            if (!names.add(name.get())) {
                Location first = problems.at(nameNodes.get(name.get()));
                problems.add(nameNode, "duplicate outbound name '" + name.get() + "' (first declared at line " + first.line()
                        + ")");
                return;
            }
            nameNodes.put(name.get(), nameNode);
        }
        if (name.isEmpty() || type.isEmpty()) {
            return;
        }
        // Every option is read (and every problem recorded) before anything is built from them.
        String n = name.get();
        Location location = problems.at(map.get());
        Optional<Outbound.Group.Strategy> strategy = Outbound.Group.Strategy.of(type.get());
        if (strategy.isPresent()) {
            List<ScalarNode> members = members(map.get(), entries, where, misspelled);
            Duration timeout = connectTimeout(entries);
            if (problems.count() == before) {
                groups.put(n, new GroupDraft(n, strategy.get(), members, timeout, location));
            }
            return;
        }
        Supplier<Outbound> build = switch (type.get()) {
            case "socks5" -> {
                HostPort server = server(map.get(), entries, where, misspelled);
                Optional<Credentials> credentials = credentials(entries, true);
                boolean udp = flag(entries, "udp");
                Isolation isolate = isolation(entries, credentials.isPresent(), udp);
                Duration timeout = connectTimeout(entries);
                yield () -> new Outbound.Socks5(n, server, credentials, udp, isolate, timeout, location);
            }
            case "http" -> {
                HostPort server = server(map.get(), entries, where, misspelled);
                Optional<Credentials> credentials = credentials(entries, false);
                Duration timeout = connectTimeout(entries);
                yield () -> new Outbound.Http(n, server, credentials, timeout, location);
            }
            case "direct" -> {
                Optional<String> bindInterface = bindInterface(entries);
                OptionalLong fwmark = fwmark(entries);
                Optional<InetAddress> source = sourceAddress(entries);
                Duration timeout = connectTimeout(entries);
                yield () -> new Outbound.Direct(n, bindInterface, fwmark, source, timeout, location);
            }
            case "reject" -> () -> new Outbound.Reject(n, location);
            default -> () -> new Outbound.Drop(n, location);
        };
        if (problems.count() == before) {
            declared.put(n, build.get());
        }
    }

    /** Adds to the other tools' spellings a note for keys that belong to other outbound types. */
    private static Map<String, String> hintsFor(List<String> allowed) {
        Map<String, String> hints = new HashMap<>(HINTS);
        for (String key : ALL_KEYS) {
            if (allowed.contains(key)) {
                hints.remove(key);
                continue;
            }
            List<String> types = TYPES.stream().filter(t -> KEYS_BY_TYPE.get(t).contains(key)).toList();
            String owners = types.size() == 1 ? types.get(0)
                    : String.join(", ", types.subList(0, types.size() - 1)) + " and " + types.get(types.size() - 1);
            hints.put(key, "'" + key + "' applies to " + owners + " outbounds");
        }
        return hints;
    }

    private Optional<String> readName(Node node) {
        Optional<String> name = nodes.text(node, "an outbound name");
        if (name.isPresent() && (name.get().isEmpty() || name.get().length() > MAX_NAME_LENGTH
                || name.get().codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c)))) {
            problems.add(node, "invalid outbound name " + Nodes.quote(name.get()) + ": expected 1 to " + MAX_NAME_LENGTH
                    + " characters without spaces");
            return Optional.empty();
        }
        return name;
    }

    private Optional<String> readType(Node node) {
        Optional<String> type = nodes.text(node, "an outbound type (" + String.join(", ", TYPES) + ")");
        if (type.isPresent() && !TYPES.contains(type.get())) {
            String hint = TYPE_HINTS.get(type.get().toLowerCase(Locale.ROOT));
            problems.add(node, "unknown outbound type " + Nodes.quote(type.get()) + " (expected one of: "
                    + String.join(", ", TYPES) + ")" + (hint != null ? "; " + hint : Suggest.didYouMean(type.get(), TYPES)));
            return Optional.empty();
        }
        return type;
    }

    /** Returns the server, or null after recording why there is none. */
    private HostPort server(MappingNode map, Map<String, NodeTuple> entries, String where, Set<String> misspelled) {
        Optional<Node> node = Nodes.value(entries, "server");
        if (node.isEmpty()) {
            if (misspelled.contains("server")) {
                return null;
            }
            problems.add(map, where + " has no 'server' (expected host:port, e.g. server: proxy.example:1080)");
            return null;
        }
        Optional<String> text = nodes.text(node.get(), "host:port for 'server'");
        if (text.isEmpty()) {
            return null;
        }
        try {
            return HostPort.parse(text.get(), 0);
        } catch (IllegalArgumentException e) {
            problems.add(node.get(), "invalid server " + Nodes.quote(text.get()) + ": " + e.getMessage());
            return null;
        }
    }

    /** Reads username and a password from one of password, password-file, password-env. */
    private Optional<Credentials> credentials(Map<String, NodeTuple> entries, boolean socks) {
        List<String> sources = new ArrayList<>();
        for (String key : List.of("password", "password-file", "password-env")) {
            if (entries.containsKey(key)) {
                sources.add(key);
            }
        }
        Optional<Node> userNode = Nodes.value(entries, "username");
        if (sources.size() > 1) {
            problems.add(Nodes.keyNode(entries, sources.get(1)).orElseThrow(),
                    "'" + sources.get(0) + "' and '" + sources.get(1) + "' are both set: keep one");
            return Optional.empty();
        }
        if (userNode.isEmpty()) {
            if (!sources.isEmpty()) {
                problems.add(Nodes.keyNode(entries, sources.get(0)).orElseThrow(), "'" + sources.get(0) + "' without 'username'");
            }
            return Optional.empty();
        }
        Optional<String> user = nodes.text(userNode.get(), "a user name for 'username'");
        if (user.isEmpty()) {
            return Optional.empty();
        }
        if (sources.isEmpty()) {
            problems.add(userNode.get(), "username " + Nodes.quote(user.get())
                    + " has no password: set password, password-file or password-env");
            return Optional.empty();
        }
        if (socks) {
            checkSocksLength(userNode.get(), "username", user.get());
        } else if (user.get().contains(":")) {
            problems.add(userNode.get(), "an HTTP basic-auth username cannot contain ':'");
        }
        Node sourceNode = Nodes.value(entries, sources.get(0)).orElseThrow();
        Optional<String> password = switch (sources.get(0)) {
            case "password" -> nodes.text(sourceNode, "a password (or use password-file or password-env)");
            case "password-file" -> passwordFromFile(sourceNode);
            default -> passwordFromEnvironment(sourceNode);
        };
        if (password.isPresent() && socks) {
            checkSocksLength(sourceNode, "password", password.get());
        }
        return password.map(p -> new Credentials(user.get(), p));
    }

    private void checkSocksLength(Node node, String what, String value) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < 1 || bytes > MAX_SOCKS_CREDENTIAL_BYTES) {
            problems.add(node, "a SOCKS5 " + what + " is 1 to 255 bytes long (RFC 1929), this one is " + bytes);
        }
    }

    private Optional<String> passwordFromFile(Node node) {
        Optional<String> text = nodes.text(node, "the path of a file holding the password");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Path path;
        if (text.get().equals("~") || text.get().startsWith("~/")) {
            path = environment.home().resolve(text.get().substring(Math.min(2, text.get().length())));
        } else if (text.get().startsWith("~")) {
            problems.add(node, "'~user' paths are not supported in password-file: write ~/… or a full path");
            return Optional.empty();
        } else {
            path = baseDir.resolve(text.get());
        }
        String shown = "password-file " + Nodes.quote(text.get()) + (path.toString().equals(text.get()) ? "" : " (" + path + ")");
        String content;
        try {
            content = environment.readFile(path);
        } catch (UserFile.Unreadable e) {
            problems.add(node, "cannot read " + shown + ": " + e.getMessage());
            return Optional.empty();
        }
        // Editors end files with a newline; the password is the one line before it.
        String password = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        if (password.isEmpty()) {
            problems.add(node, shown + " is empty");
            return Optional.empty();
        }
        if (password.indexOf('\n') >= 0 || password.indexOf('\r') >= 0) {
            problems.add(node, shown + " has more than one line (expected the password alone)");
            return Optional.empty();
        }
        return Optional.of(password);
    }

    private Optional<String> passwordFromEnvironment(Node node) {
        Optional<String> name = nodes.text(node, "the name of an environment variable holding the password");
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (!ENV_NAME.matcher(name.get()).matches()) {
            problems.add(node, "invalid environment variable name " + Nodes.quote(name.get())
                    + " for password-env (letters, digits and '_', not starting with a digit)");
            return Optional.empty();
        }
        Optional<String> value = environment.variable(name.get());
        if (value.isEmpty() || value.get().isEmpty()) {
            problems.add(node, "environment variable " + name.get() + " (password-env) is " + (value.isEmpty() ? "not set" : "empty"));
            return Optional.empty();
        }
        return value;
    }

    private boolean flag(Map<String, NodeTuple> entries, String key) {
        return Nodes.value(entries, key).flatMap(n -> nodes.bool(n, key)).orElse(false);
    }

    /** Reads {@code isolate}; it makes up the credentials, so it takes no username, and TCP streams only. */
    private Isolation isolation(Map<String, NodeTuple> entries, boolean hasCredentials, boolean udp) {
        Optional<Node> node = Nodes.value(entries, "isolate");
        Optional<String> text = node.flatMap(n -> nodes.text(n, "none, per-run, per-destination or per-flow for 'isolate'"));
        if (text.isEmpty()) {
            return Isolation.NONE;
        }
        List<String> labels = Arrays.stream(Isolation.values()).map(Isolation::label).toList();
        Optional<Isolation> isolate = Arrays.stream(Isolation.values()).filter(i -> i.label().equals(text.get())).findFirst();
        if (isolate.isEmpty()) {
            problems.add(node.get(), "unknown isolate " + Nodes.quote(text.get()) + " (expected one of: " + String.join(", ", labels)
                    + ")" + Suggest.didYouMean(text.get(), labels));
            return Isolation.NONE;
        }
        if (isolate.get() != Isolation.NONE && hasCredentials) {
            problems.add(node.get(), "isolate " + isolate.get().label() + " makes up a username and password per isolation unit "
                    + "(what Tor's IsolateSOCKSAuth separates circuits by): remove username and password, or use isolate: none");
            return Isolation.NONE;
        }
        if (isolate.get() != Isolation.NONE && udp) {
            problems.add(node.get(), "isolate applies to TCP streams (Tor carries no UDP): remove 'udp: true', or use isolate: none");
            return Isolation.NONE;
        }
        return isolate.get();
    }

    private Duration connectTimeout(Map<String, NodeTuple> entries) {
        Optional<Node> node = Nodes.value(entries, "connect-timeout");
        Optional<String> text = node.flatMap(n -> nodes.text(n, "a duration for 'connect-timeout', e.g. 10s"));
        if (text.isEmpty()) {
            return Outbound.DEFAULT_CONNECT_TIMEOUT;
        }
        try {
            return Durations.parse(text.get());
        } catch (IllegalArgumentException e) {
            problems.add(node.get(), "invalid connect-timeout " + Nodes.quote(text.get()) + ": " + e.getMessage());
            return Outbound.DEFAULT_CONNECT_TIMEOUT;
        }
    }

    private Optional<String> bindInterface(Map<String, NodeTuple> entries) {
        Optional<Node> node = Nodes.value(entries, "interface");
        Optional<String> name = node.flatMap(n -> nodes.text(n, "an interface name, e.g. eth0"));
        if (name.isPresent() && (name.get().isEmpty() || name.get().length() > MAX_INTERFACE_LENGTH
                || name.get().equals(".") || name.get().equals("..")
                || name.get().chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c)))) {
            problems.add(node.get(), "invalid interface " + Nodes.quote(name.get()) + ": Linux interface names are 1 to "
                    + MAX_INTERFACE_LENGTH + " characters without '/', ':' or spaces");
            return Optional.empty();
        }
        return name;
    }

    private OptionalLong fwmark(Map<String, NodeTuple> entries) {
        Optional<Node> node = Nodes.value(entries, "fwmark");
        Optional<String> text = node.flatMap(n -> nodes.text(n, "a number for 'fwmark'"));
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        String t = text.get();
        long value = -1;
        if (t.matches("0[xX][0-9a-fA-F]{1,8}")) {
            value = Long.parseLong(t.substring(2), 16);
        } else if (t.matches("[0-9]{1,10}")) {
            value = Long.parseLong(t);
        }
        if (value < 0 || value > MAX_FWMARK) {
            problems.add(node.get(), "invalid fwmark " + Nodes.quote(t) + ": expected a number from 0 to 0xffffffff (decimal or 0x hex)");
            return OptionalLong.empty();
        }
        return OptionalLong.of(value);
    }

    private Optional<InetAddress> sourceAddress(Map<String, NodeTuple> entries) {
        Optional<Node> node = Nodes.value(entries, "source-address");
        Optional<String> text = node.flatMap(n -> nodes.text(n, "an IP address for 'source-address'"));
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Optional<InetAddress> address = IpLiteral.parse(text.get());
        if (address.isEmpty()) {
            problems.add(node.get(), "invalid source-address " + Nodes.quote(text.get()) + ": expected an IPv4 or IPv6 address");
        }
        return address;
    }
}
