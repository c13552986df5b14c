package dev.nstun.cli;

import dev.nstun.netns.Credentials;
import dev.nstun.netns.HostChecks;
import dev.nstun.netns.Privileges;
import dev.nstun.netns.RunRegistry;
import dev.nstun.netns.Sandbox;
import dev.nstun.netns.SandboxException;
import dev.nstun.netns.TunSpec;
import dev.nstun.netns.Users;
import dev.nstun.policies.config.AccessList;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.UserFile;
import dev.nstun.policies.config.ProxyUrl;
import dev.nstun.policies.learn.LearnedPolicy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.stack.DnsEndpoint;
import dev.nstun.stack.NetStack;
import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.dns.FakeIpPool;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.icmp.EchoFlows;
import dev.nstun.stack.icmp.EchoTransport;
import dev.nstun.stack.relay.TcpFlows;
import dev.nstun.stack.udp.UdpFlows;
import dev.nstun.stack.device.Device;
import dev.nstun.stack.device.FaultInjectingDevice;
import dev.nstun.stack.pcap.PcapDevice;
import dev.nstun.stack.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code nstun run [options] -- COMMAND [ARGS...]}. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {
            "Runs COMMAND in a new network namespace whose only way out is a TUN device served by nstun."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"N:COMMAND's own status (128+N when signal N killed it)", ExitCodes.FAILED_ENTRY,
            "126:COMMAND cannot be executed", "127:COMMAND was not found"},
        footer = {"", "Without sudo, nstun runs rootless (in a user namespace of the user's own; 'nstun doctor' checks the machine);",
            "sudo is needed only for a direct outbound's interface or fwmark.",
            "", "Examples:", "  nstun run -- curl http://example.com/", "  nstun run --pcap trace.pcap -- ping -c1 198.18.0.9"})
public final class RunCommand implements Callable<Integer> {
    /** The interface name inside the namespace: every run has its own namespace, so no collisions. */
    static final String TUN_NAME = "nstun0";
    static final String TUN_IPV4 = "198.18.0.1";
    static final int TUN_IPV4_PREFIX = 15;
    static final String TUN_IPV6 = "fd4e:5354:554e::1";
    static final int TUN_IPV6_PREFIX = 64;
    /** Where the command's resolv.conf sends DNS queries: nstun's resolver. */
    static final String RESOLVER_IPV4 = "198.18.0.2";
    static final String RESOLVER_IPV6 = "fd4e:5354:554e::2";
    /** pasta's default: a large MTU cuts per-packet work for bulk transfers by an order of magnitude. */
    static final int DEFAULT_MTU = 65520;

    @Spec CommandSpec spec;
    @Mixin LoggingOptions logging;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "" + DEFAULT_MTU,
            description = "MTU of the TUN device (${DEFAULT-VALUE}; 1280 to 65535).")
    int mtu;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Write every packet crossing the TUN, both directions, to FILE (pcap, for tcpdump or Wireshark);"
                    + " created with the rights of the user who ran sudo, never through a symbolic link.")
    Path pcap;

    @Option(names = {"-u", "--user"}, paramLabel = "NAME",
            description = "Run COMMAND as this user (default: the user who ran sudo; root if started as root without sudo)."
                    + " Only root itself may name another user.")
    String user;

    @Option(names = "--root-inside",
            description = "Run COMMAND as root of a user namespace of its own (uid 0 inside, like unshare -r), for tools that insist"
                    + " on root; it can do no more than the user it maps to, and cannot undo nstun's resolver files.")
    boolean rootInside;

    @Option(names = {"-p", "--policy"}, paramLabel = "FILE",
            description = "Send each flow where this policy file's rules say (docs/policy.md). Without it, every flow goes directly.")
    Path policyFile;

    @Option(names = "--socks5", paramLabel = "URL",
            description = "Send every flow through this SOCKS5 proxy, names resolved there: socks5://[USER[:PASSWORD]@]HOST[:PORT]"
                    + " (port 1080 by default; the password may come from $NSTUN_PROXY_PASSWORD instead). Not with -p.")
    String socks5Url;

    @Option(names = "--http", paramLabel = "URL",
            description = "Send every TCP flow through this HTTP CONNECT proxy: http://[USER[:PASSWORD]@]HOST[:PORT] (port 3128 by default);"
                    + " UDP is refused. Not with -p.")
    String httpUrl;

    @Option(names = "--allow", paramLabel = "PATTERN",
            description = "Let flows to PATTERN through; with any --allow, everything else is refused at once (names not allowed get"
                    + " NXDOMAIN) and each refused destination is named on stderr. PATTERN: NAME, *.SUFFIX (subdomains), ADDRESS[/PREFIX]"
                    + " or *, optionally with :PORT or :FROM-TO, tcp: or udp: in front; or tcp:PORT, udp:PORT. Repeatable;"
                    + " with -p, these rules come before the file's (docs/policy.md).")
    List<String> allow = new ArrayList<>();

    @Option(names = "--deny", paramLabel = "PATTERN",
            description = "Refuse flows to PATTERN (as for --allow), before any --allow applies. Repeatable.")
    List<String> deny = new ArrayList<>();

    @Option(names = "--learn", paramLabel = "FILE",
            description = "Write FILE at exit: a policy with one rule per destination the command reached (name or address, port,"
                    + " protocol; first seen, flow count) that rejects everything else, for -p FILE next time. The run itself allows"
                    + " everything, or what --allow allows; an existing FILE is added to. Not with -p.")
    Path learnFile;

    @Option(names = "--host-loopback",
            description = "Let the command reach the host's loopback (127.0.0.1, ::1) at " + RESOLVER_IPV4 + " / " + RESOLVER_IPV6
                    + " on any port but 53 (like pasta's --map-host-loopback).")
    boolean hostLoopback;

    @Option(names = "--dns-upstream", paramLabel = "[udp://|tcp://]ADDR[:PORT]",
            description = "Where the DNS queries nstun does not answer itself go (default: the policy's dns.upstream;"
                    + " without a policy, the host's first nameserver in /etc/resolv.conf).")
    String dnsUpstream;

    @Option(names = "--debug-faults", hidden = true, paramLabel = "SPEC",
            description = "Testing: drop/reorder/duplicate/corrupt packets both ways, e.g. loss=5,reorder=25,duplicate=5,corrupt=1,seed=42.")
    String debugFaults;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command to run, and its arguments.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        Logger log = LoggerFactory.getLogger(RunCommand.class);
        PrintWriter err = spec.commandLine().getErr();
        Privileges.Mode mode = Privileges.mode();
        List<HostChecks.Check> blockers = HostChecks.system().blockers(mode, System.getProperty("nstun.launcher") != null);
        if (!blockers.isEmpty()) {
            blockers.forEach(b -> err.println("nstun: " + b.subject() + ": " + b.found() + ": " + b.fix()));
            return ExitCodes.NSTUN_FAILED;
        }
        if (mtu < TunSpec.MIN_MTU || mtu > TunSpec.MAX_MTU) {
            err.println("nstun: --mtu " + mtu + " is out of range (expected " + TunSpec.MIN_MTU + " to " + TunSpec.MAX_MTU + ")");
            return ExitCodes.NSTUN_FAILED;
        }
        Credentials who = credentials(err);
        if (who == null) return ExitCodes.NSTUN_FAILED;
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        registry.cleanStale();
        String runId = RunRegistry.newRunId();
        Map<String, String> env = environment(who);
        env.put(RunRegistry.MARK, runId);
        Integer notRunnable = checkRunnable(command.get(0), env.get("PATH"), err);
        if (notRunnable != null) return notRunnable;

        DnsSettings.Upstream upstreamOverride = null;
        if (dnsUpstream != null) {
            upstreamOverride = parseDnsUpstream(dnsUpstream);
            if (upstreamOverride == null) {
                err.println("nstun: --dns-upstream " + dnsUpstream + ": expected an address with an optional port and transport,"
                        + " e.g. 127.0.0.1:5353, [::1]:53 or tcp://10.0.0.53:53");
                return ExitCodes.NSTUN_FAILED;
            }
        }
        if ((policyFile != null ? 1 : 0) + (socks5Url != null ? 1 : 0) + (httpUrl != null ? 1 : 0) > 1) {
            err.println("nstun: give one of -p FILE, --socks5 URL and --http URL (a policy file can name several proxies)");
            return ExitCodes.NSTUN_FAILED;
        }
        if (socks5Url != null && socks5Url.contains("://") && !socks5Url.startsWith("socks5://") && !socks5Url.startsWith("socks5h://")) {
            err.println("nstun: --socks5 " + ProxyUrl.redact(socks5Url) + ": expected a socks5:// URL (for an HTTP proxy, use --http)");
            return ExitCodes.NSTUN_FAILED;
        }
        if (httpUrl != null && httpUrl.contains("://") && !httpUrl.startsWith("http://")) {
            err.println("nstun: --http " + ProxyUrl.redact(httpUrl) + ": expected an http:// URL (for a SOCKS5 proxy, use --socks5)");
            return ExitCodes.NSTUN_FAILED;
        }
        if (learnFile != null && policyFile != null) {
            err.println("nstun: --learn writes a policy from this run's own flows: not with -p (it combines with --socks5, --http,"
                    + " --allow and --deny)");
            return ExitCodes.NSTUN_FAILED;
        }
        AccessList access;
        try {
            access = AccessList.parse(allow, deny);
        } catch (PolicyException e) {
            e.problems().forEach(problem -> err.println("nstun: " + problem));
            return ExitCodes.NSTUN_FAILED;
        }
        Policy policy = null;
        UserFiles files = UserFiles.ofInvoker();
        try {
            if (policyFile != null) {
                policy = files.loadPolicy(policyFile, policyEnvironment(who));
            } else if (socks5Url != null) {
                policy = ProxyUrl.policyOf(socks5Url.contains("://") ? socks5Url : "socks5://" + socks5Url, policyEnvironment(who));
            } else if (httpUrl != null) {
                policy = ProxyUrl.policyOf(httpUrl.contains("://") ? httpUrl : "http://" + httpUrl, policyEnvironment(who));
            }
            if (policy != null) KernelSocketTuner.requireApplicable(policy, mode);
        } catch (PolicyException e) {
            e.problems().forEach(problem -> err.println(socks5Url != null ? "nstun: --socks5: " + problem
                    : httpUrl != null ? "nstun: --http: " + problem : problem.toString()));
            return ExitCodes.NSTUN_FAILED;
        }
        LearnedPolicy learned = null;
        if (!access.isEmpty() || learnFile != null) {
            try {
                if (policyFile != null) {
                    policy = access.prependTo(policy);
                } else if (policy != null) {
                    policy = access.restrict(policy);
                } else {
                    DnsSettings.Upstream host = upstreamOverride != null ? upstreamOverride : hostUpstream();
                    if (host == null) {
                        err.println("nstun: the host's /etc/resolv.conf names no nameserver to send the command's other DNS queries to:"
                                + " give --dns-upstream");
                        return ExitCodes.NSTUN_FAILED;
                    }
                    policy = access.restrict(Policy.direct(host, "command line"));
                }
                if (learnFile != null) learned = files.startLearning(learnFile, policy, policyEnvironment(who));
            } catch (PolicyException e) {
                e.problems().forEach(problem -> err.println("nstun: " + problem));
                return ExitCodes.NSTUN_FAILED;
            }
        }
        Connectors connectors = new Connectors(Outbound.DEFAULT_CONNECT_TIMEOUT, new KernelSocketTuner());
        DnsForwarding forwarding;
        if (policy != null) {
            forwarding = DnsForwarding.of(policy, upstreamOverride, connectors);
        } else {
            DnsSettings.Upstream upstream = upstreamOverride != null ? upstreamOverride : hostUpstream();
            if (upstream == null) log.warn("the host's /etc/resolv.conf names no nameserver: the command's DNS queries will fail (give --dns-upstream)");
            forwarding = DnsForwarding.direct(upstream, connectors);
        }
        log.debug("DNS queries nstun does not answer itself go to {}", forwarding.describe());
        DirectDialer direct = new DirectDialer(InetAddress.getByName(RESOLVER_IPV4), InetAddress.getByName(RESOLVER_IPV6), hostLoopback);
        Dialer dialer = direct;
        PolicyDialer policyDialer = null;
        BlockedFlows blocked = new BlockedFlows(err);
        if (policy != null) {
            policyDialer = new PolicyDialer(policy, direct, connectors, blocked, learned);
            dialer = policyDialer;
        }
        DnsResolver resolver = policy != null && policy.dns().mode() == DnsSettings.Mode.FAKE_IP
                ? new DnsResolver(DnsResolver.Mode.FAKE_IP, FakeIpPool.defaults(), DnsResolver.DEFAULT_TTL_SECONDS, policyDialer.names())
                : new DnsResolver(DnsResolver.Mode.FORWARD, null, DnsResolver.DEFAULT_TTL_SECONDS);
        DnsEndpoint.Config dnsConfig = new DnsEndpoint.Config((Inet4Address) InetAddress.getByName(RESOLVER_IPV4),
                (Inet6Address) InetAddress.getByName(RESOLVER_IPV6), resolver, forwarding, registry.runtimeDirectory(runId));

        FaultInjectingDevice.Faults faults = null;
        if (debugFaults != null) {
            try {
                faults = FaultInjectingDevice.Faults.parse(debugFaults);
            } catch (IllegalArgumentException e) {
                err.println("nstun: --debug-faults " + debugFaults + ": " + e.getMessage());
                return ExitCodes.NSTUN_FAILED;
            }
        }

        PcapWriter pcapWriter = null;
        if (pcap != null) {
            try {
                pcapWriter = PcapWriter.create(files.createOutput(pcap), NetStack.MAX_PACKET);
            } catch (IOException e) {
                err.println("nstun: cannot write --pcap " + pcap + ": " + e.getMessage());
                return ExitCodes.NSTUN_FAILED;
            }
        }
        DnsSettings.Upstream dnsOverride = upstreamOverride;
        PolicyReloader reloader = policyFile == null ? null
                : new PolicyReloader(policyFile, access, policyEnvironment(who), files, mode, policyDialer,
                        p -> forwarding.use(p, dnsOverride), registry, runId);
        SignalForwarder signals = SignalForwarder.install(reloader == null ? null : reloader::request);
        Sandbox sandbox;
        try {
            if (signals.firstHeld() != 0) {
                signals.uninstall();
                if (pcapWriter != null) pcapWriter.close();
                return 128 + signals.firstHeld();
            }
            // Recorded before the command starts: a nstun killed at any moment after leaves the record.
            sandbox = Sandbox.start(new Sandbox.Spec(tunSpec(), resolvConf(), who, rootInside, command, env, null), namespace -> {
                try {
                    registry.record(runId, namespace, java.util.Optional.ofNullable(policyFile));
                } catch (IOException e) {
                    log.warn("cannot record this run ({}): if nstun is killed, processes the command started may linger", e.getMessage());
                }
            });
        } catch (SandboxException e) {
            signals.uninstall();
            registry.forget(runId);
            err.println("nstun: " + e.getMessage());
            if (pcapWriter != null) pcapWriter.close();
            return ExitCodes.NSTUN_FAILED;
        }
        Device link = new TunLink(sandbox.tun());
        if (pcapWriter != null) link = new PcapDevice(link, pcapWriter, Clock.systemUTC());
        if (faults != null) link = new FaultInjectingDevice(link, faults);
        IcmpEchoTransport echo = IcmpEchoTransport.open();
        EchoFlows.Config echoConfig = EchoFlows.Config.defaults(
                List.of(InetAddress.getByName(RESOLVER_IPV4), InetAddress.getByName(RESOLVER_IPV6)));
        NetStack stack;
        try {
            EchoTransport echoes = policyDialer != null ? policyDialer.echoThrough(echo) : echo;
            stack = new NetStack(link, dialer, UdpFlows.Config.defaults(), TcpFlows.Config.defaults(mtu), echoes, echoConfig, dnsConfig);
        } catch (IOException e) {
            signals.uninstall();
            echo.close();
            sandbox.close();
            link.close();
            err.println("nstun: cannot start the stack: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        Thread loopThread = Thread.ofPlatform().name("nstun-stack").daemon(true).start(stack);
        signals.attach(sandbox::signal);
        int status;
        try {
            status = sandbox.waitFor();
        } finally {
            signals.uninstall();
            stack.stop();
            loopThread.join(2000);
            echo.close();
            sandbox.close();
            link.close();
            registry.forget(runId);
            forwarding.close();
            blocked.summarize();
        }
        log.debug("command exited with status {}; packets in {}, out {}; drops {} {}",
                status, stack.packetsIn(), stack.packetsOut(), stack.counters().snapshot(), stack.echoCounters());
        if (learned != null && !writeLearned(learned, files, err)) return ExitCodes.NSTUN_FAILED;
        return status;
    }

    private Credentials credentials(PrintWriter err) {
        if (user == null) return Users.invoker(System.getenv());
        Credentials c = Users.byName(user);
        if (c == null) {
            err.println("nstun: --user " + user + ": no such user");
            return null;
        }
        int invoker = Users.invokingUid(System.getenv());
        if (invoker != 0 && c.uid() != invoker) {
            err.println("nstun: --user " + user + ": only root may run the command as another user; under sudo it runs as the user who ran sudo");
            return null;
        }
        return c.uid() == Users.effectiveUid() ? Credentials.UNCHANGED : c;
    }

    /** What the policy's secrets are read with: ~ is the home of the user the command runs as. */
    private static Environment policyEnvironment(Credentials who) {
        Environment system = Environment.system();
        Path home = who.unchanged() || who.home() == null ? system.home() : Path.of(who.home());
        return new Environment() {
            @Override
            public java.util.Optional<String> variable(String name) {
                return system.variable(name);
            }

            @Override
            public Path home() {
                return home;
            }

            @Override
            public String readFile(Path path) throws UserFile.Unreadable {
                return system.readFile(path);
            }
        };
    }

    /** Writes the --learn file; says what it wrote, or why it could not. */
    private boolean writeLearned(LearnedPolicy learned, UserFiles files, PrintWriter err) {
        try (FileChannel out = files.createOutput(learnFile)) {
            ByteBuffer bytes = ByteBuffer.wrap(learned.render().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) out.write(bytes);
        } catch (IOException e) {
            err.println("nstun: cannot write --learn " + learnFile + ": " + e.getMessage());
            return false;
        }
        err.println("nstun: learned " + learned.size() + " destination(s) into " + learnFile + " (use it with -p " + learnFile + ")");
        return true;
    }

    /** Returns the host's first nameserver (/etc/resolv.conf) as a UDP upstream, or null when it names none. */
    private static DnsSettings.Upstream hostUpstream() {
        InetSocketAddress host = HostResolver.fromResolvConf(Path.of("/etc/resolv.conf"));
        return host == null ? null : new DnsSettings.Upstream(Network.UDP, new HostPort(host.getAddress().getHostAddress(), host.getPort()));
    }

    private static Map<String, String> environment(Credentials who) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove(SignalForwarder.JVM_SUSPEND_SIGNAL_VARIABLE);
        if (!who.unchanged() && who.userName() != null) {
            env.put("USER", who.userName());
            env.put("LOGNAME", who.userName());
            if (who.home() != null) env.put("HOME", who.home());
        }
        return env;
    }

    /** Returns 126/127 (after saying why) when COMMAND cannot run, null when it looks runnable. */
    static Integer checkRunnable(String cmd, String path, PrintWriter err) {
        Path file;
        if (cmd.contains("/")) {
            file = Path.of(cmd);
            if (!Files.exists(file)) {
                err.println("nstun: " + cmd + ": no such file or directory");
                return ExitCodes.NOT_FOUND;
            }
        } else {
            file = Sandbox.findOnPath(cmd, path);
            if (file == null) {
                err.println("nstun: " + cmd + ": command not found");
                return ExitCodes.NOT_FOUND;
            }
        }
        if (Files.isDirectory(file) || !Files.isExecutable(file)) {
            err.println("nstun: " + cmd + ": " + (Files.isDirectory(file) ? "is a directory" : "permission denied (not executable)"));
            return ExitCodes.CANNOT_EXECUTE;
        }
        return null;
    }

    private TunSpec tunSpec() throws UnknownHostException {
        return new TunSpec(TUN_NAME, mtu, (Inet4Address) InetAddress.getByName(TUN_IPV4), TUN_IPV4_PREFIX,
                (Inet6Address) InetAddress.getByName(TUN_IPV6), TUN_IPV6_PREFIX);
    }

    /** Parses "addr", "addr:port", "[v6]" or "[v6]:port" without looking any name up; null if malformed. */
    /** Parses --dns-upstream: [udp://|tcp://]ADDRESS[:PORT], an address literal (nothing to resolve it with). */
    static DnsSettings.Upstream parseDnsUpstream(String text) {
        Network transport = Network.UDP;
        String rest = text;
        if (text.startsWith("udp://")) {
            rest = text.substring(6);
        } else if (text.startsWith("tcp://")) {
            transport = Network.TCP;
            rest = text.substring(6);
        }
        InetSocketAddress a = parseHostPort(rest, 53);
        return a == null ? null : new DnsSettings.Upstream(transport, new HostPort(a.getAddress().getHostAddress(), a.getPort()));
    }

    static InetSocketAddress parseHostPort(String text, int defaultPort) {
        String host = text;
        int port = defaultPort;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) return null;
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) return null;
                port = parsePort(rest.substring(1));
            }
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') >= 0) {
            host = text.substring(0, text.indexOf(':'));
            port = parsePort(text.substring(text.indexOf(':') + 1));
        }
        if (port < 1 || !host.matches("[0-9A-Fa-f:.]+")) return null;
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            return p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String resolvConf() {
        return "# Written by nstun: DNS goes to nstun's resolver on the TUN.\nnameserver " + RESOLVER_IPV4 + "\n";
    }
}
