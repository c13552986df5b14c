package dev.nstun.cli;

import dev.nstun.netns.Credentials;
import dev.nstun.netns.HostChecks;
import dev.nstun.netns.InstanceName;
import dev.nstun.netns.Privileges;
import dev.nstun.netns.Sandbox;
import dev.nstun.netns.SudoCaller;
import dev.nstun.netns.TunSpec;
import dev.nstun.netns.Users;
import dev.nstun.policies.config.AccessList;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.ProxyUrl;
import dev.nstun.policies.config.UserFile;
import dev.nstun.policies.learn.LearnedPolicy;
import dev.nstun.stack.device.FaultInjectingDevice;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One run, checked and decided before anything starts: {@link #of} turns the options into this or
 * into the lines that say why not, and {@link RunSession} carries it out. Nothing here has started
 * or opened anything but the files it read (the policy, a {@code --learn} file to add to).
 *
 * @param mode           how nstun runs (rootless or with privileges): what a policy may ask for
 * @param tun            the TUN device and its addresses (the address plan of {@link NstunAddresses})
 * @param user           whom the command runs as
 * @param rootInside     the command is root of a user namespace of its own
 * @param command        the command and its arguments
 * @param environment    the command's environment (the session adds its run's mark)
 * @param policy         where flows go; empty: every flow directly, nothing refused but nstun's own addresses
 * @param policyFile     the {@code -p} file, re-read on reload
 * @param access         the command line's {@code --allow}/{@code --deny} rules (a reload puts them in front again)
 * @param policyEnvironment what the policy's secrets are read with (~ is the command's user's home)
 * @param dns            where the queries nstun does not answer itself go
 * @param learning       the {@code --learn} file and what the run records into it
 * @param hostLoopback   the resolver address's other ports reach the host's loopback
 * @param faults         testing: packet faults injected both ways
 * @param pcap           where to capture the TUN's packets
 * @param report         say at exit what the run did ({@code --report} or {@code -v})
 * @param files          the invoking user's files (read and written with their rights)
 * @param up             {@code nstun up}: the namespace is named and served without a command ({@code command} is empty)
 */
record RunPlan(Privileges.Mode mode, TunSpec tun, Credentials user, boolean rootInside, List<String> command,
               Map<String, String> environment, Optional<Policy> policy, Optional<Path> policyFile, AccessList access,
               Environment policyEnvironment, Dns dns, Optional<Learning> learning, boolean hostLoopback,
               Optional<FaultInjectingDevice.Faults> faults, Optional<Path> pcap, boolean report, UserFiles files, Optional<Up> up) {

    /**
     * What a desktop program needs to reach the user's session: X11's display and cookie file,
     * Wayland's socket, the session bus, PulseAudio, and the runtime directory most of them live in.
     * sudo's env_reset removes them (all but DISPLAY and XAUTHORITY, by sudo's own defaults); the
     * command that runs as the user who ran sudo gets them from the environment sudo was started
     * with ({@link SudoCaller}) unless nstun's own has them ({@code sudo --preserve-env}). Their
     * sockets are reachable from the command's namespaces: /tmp/.X11-unix and /run/user are the
     * host's there (X11's abstract socket is per network namespace, and libX11 falls back to the
     * path), and a unix socket's peer is checked by uid, which the command keeps.
     */
    static final Set<String> DESKTOP_SESSION = Set.of("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER");

    RunPlan {
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
    }

    /**
     * Where the DNS queries nstun does not answer itself go: {@code override} ({@code --dns-upstream})
     * wins over the policy's upstream; without a policy they go to {@code direct} (the override or the
     * host's first nameserver; empty when neither names one).
     */
    record Dns(Optional<DnsSettings.Upstream> override, Optional<DnsSettings.Upstream> direct) {}

    /** A long-lived namespace: its name, and what its flows follow, as {@code nstun ls} says it. */
    record Up(InstanceName name, String policy) {}

    /** {@code --learn FILE}: the run's flows are recorded into {@code into}, written to {@code file} at exit. */
    record Learning(Path file, LearnedPolicy into) {}

    /** What {@link #of} decided: a plan to carry out, or an exit status and the lines that say why. */
    sealed interface Outcome {}

    /** The options make a run. */
    record Ready(RunPlan plan) implements Outcome {}

    /** The options make no run: say {@code lines} on stderr and exit with {@code status}. */
    record Refused(int status, List<String> lines) implements Outcome {
        Refused(int status, String line) {
            this(status, List.of(line));
        }
    }

    /**
     * Checks {@code options} and {@code command} against each other, the machine and the files they
     * name, in the order users learn of problems (the machine, then each option), and decides the run.
     */
    static Outcome of(RunOptions options, CommandOptions who, List<String> command) {
        return decide(options, who.user(), who.rootInside(), command, Optional.empty());
    }

    /** Decides {@code nstun up NAME}: a namespace as {@code options} say, named {@code name}, with no command in it. */
    static Outcome forUp(RunOptions options, InstanceName name) {
        return decide(options, null, false, List.of(), Optional.of(name));
    }

    private static Outcome decide(RunOptions options, String user, boolean rootInside, List<String> command, Optional<InstanceName> name) {
        Privileges.Mode mode = Privileges.mode();
        List<HostChecks.Check> blockers = HostChecks.system().blockers(mode, System.getProperty("nstun.launcher") != null);
        if (!blockers.isEmpty()) {
            return new Refused(ExitCodes.NSTUN_FAILED, blockers.stream().map(b -> "nstun: " + b.subject() + ": " + b.found() + ": " + b.fix()).toList());
        }
        if (options.mtu() < TunSpec.MIN_MTU || options.mtu() > TunSpec.MAX_MTU) {
            return new Refused(ExitCodes.NSTUN_FAILED,
                    "nstun: --mtu " + options.mtu() + " is out of range (expected " + TunSpec.MIN_MTU + " to " + TunSpec.MAX_MTU + ")");
        }
        List<String> said = new ArrayList<>();
        Credentials who = credentials(user, said);
        if (who == null) return new Refused(ExitCodes.NSTUN_FAILED, said);
        Map<String, String> env = environment(who);
        Integer notRunnable = command.isEmpty() ? null : checkRunnable(command.get(0), env.get("PATH"), said);
        if (notRunnable != null) return new Refused(notRunnable, said);

        Optional<DnsSettings.Upstream> override = Optional.empty();
        if (options.dnsUpstream() != null) {
            override = parseDnsUpstream(options.dnsUpstream());
            if (override.isEmpty()) {
                return new Refused(ExitCodes.NSTUN_FAILED, "nstun: --dns-upstream " + options.dnsUpstream()
                        + ": expected an address with an optional port and transport, e.g. 127.0.0.1:5353, [::1]:53 or tcp://10.0.0.53:53");
            }
        }
        String socks5Url = options.socks5Url();
        String httpUrl = options.httpUrl();
        Path policyFile = options.policyFile();
        if ((policyFile != null ? 1 : 0) + (socks5Url != null ? 1 : 0) + (httpUrl != null ? 1 : 0) > 1) {
            return new Refused(ExitCodes.NSTUN_FAILED, "nstun: give one of -p FILE, --socks5 URL and --http URL (a policy file can name several proxies)");
        }
        if (socks5Url != null && socks5Url.contains("://") && !socks5Url.startsWith("socks5://") && !socks5Url.startsWith("socks5h://")) {
            return new Refused(ExitCodes.NSTUN_FAILED,
                    "nstun: --socks5 " + ProxyUrl.redact(socks5Url) + ": expected a socks5:// URL (for an HTTP proxy, use --http)");
        }
        if (httpUrl != null && httpUrl.contains("://") && !httpUrl.startsWith("http://")) {
            return new Refused(ExitCodes.NSTUN_FAILED,
                    "nstun: --http " + ProxyUrl.redact(httpUrl) + ": expected an http:// URL (for a SOCKS5 proxy, use --socks5)");
        }
        if (options.learnFile() != null && policyFile != null) {
            return new Refused(ExitCodes.NSTUN_FAILED, "nstun: --learn writes a policy from this run's own flows: not with -p (it combines with"
                    + " --socks5, --http, --allow and --deny)");
        }
        AccessList access;
        try {
            access = AccessList.parse(options.allow(), options.deny());
        } catch (PolicyException e) {
            return new Refused(ExitCodes.NSTUN_FAILED, e.problems().stream().map(problem -> "nstun: " + problem).toList());
        }
        Environment policyEnvironment = policyEnvironment(who);
        Policy policy = null;
        UserFiles files = UserFiles.ofInvoker();
        try {
            if (policyFile != null) {
                policy = files.loadPolicy(policyFile, policyEnvironment);
            } else if (socks5Url != null) {
                policy = ProxyUrl.policyOf(socks5Url.contains("://") ? socks5Url : "socks5://" + socks5Url, policyEnvironment);
            } else if (httpUrl != null) {
                policy = ProxyUrl.policyOf(httpUrl.contains("://") ? httpUrl : "http://" + httpUrl, policyEnvironment);
            }
            if (policy != null) KernelSocketTuner.requireApplicable(policy, mode);
        } catch (PolicyException e) {
            return new Refused(ExitCodes.NSTUN_FAILED, e.problems().stream().map(problem -> socks5Url != null ? "nstun: --socks5: " + problem
                    : httpUrl != null ? "nstun: --http: " + problem : problem.toString()).toList());
        }
        Optional<DnsSettings.Upstream> direct = override.isPresent() || policy != null ? override : hostUpstream();
        Optional<Learning> learning = Optional.empty();
        if (!access.isEmpty() || options.learnFile() != null) {
            try {
                if (policyFile != null) {
                    policy = access.prependTo(policy);
                } else if (policy != null) {
                    policy = access.restrict(policy);
                } else {
                    if (direct.isEmpty()) {
                        return new Refused(ExitCodes.NSTUN_FAILED, "nstun: the host's /etc/resolv.conf names no nameserver to send the command's"
                                + " other DNS queries to: give --dns-upstream");
                    }
                    policy = access.restrict(Policy.direct(direct.get(), "command line"));
                }
                if (options.learnFile() != null) {
                    learning = Optional.of(new Learning(options.learnFile(), files.startLearning(options.learnFile(), policy, policyEnvironment)));
                }
            } catch (PolicyException e) {
                return new Refused(ExitCodes.NSTUN_FAILED, e.problems().stream().map(problem -> "nstun: " + problem).toList());
            }
        }
        Optional<FaultInjectingDevice.Faults> faults = Optional.empty();
        if (options.debugFaults() != null) {
            try {
                faults = Optional.of(FaultInjectingDevice.Faults.parse(options.debugFaults()));
            } catch (IllegalArgumentException e) {
                return new Refused(ExitCodes.NSTUN_FAILED, "nstun: --debug-faults " + options.debugFaults() + ": " + e.getMessage());
            }
        }
        String followed = (policyFile != null ? "-p " + policyFile.toAbsolutePath()
                : socks5Url != null ? "--socks5 " + ProxyUrl.redact(socks5Url)
                : httpUrl != null ? "--http " + ProxyUrl.redact(httpUrl)
                : "direct") + (access.isEmpty() ? "" : " with --allow/--deny");
        return new Ready(new RunPlan(mode, NstunAddresses.tun(options.mtu()), who, rootInside, command, env, Optional.ofNullable(policy),
                Optional.ofNullable(policyFile), access, policyEnvironment, new Dns(override, direct), learning, options.hostLoopback(),
                faults, Optional.ofNullable(options.pcap()), options.report() || LoggingOptions.verbose(), files,
                name.map(n -> new Up(n, followed))));
    }

    /** Parses {@code --dns-upstream}: [udp://|tcp://]ADDRESS[:PORT], an address literal (nothing to resolve a name with); empty if malformed. */
    static Optional<DnsSettings.Upstream> parseDnsUpstream(String text) {
        try {
            return Optional.of(DnsSettings.Upstream.parse(text, Optional.of(Network.UDP))).filter(u -> u.server().address().isPresent());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Returns 126/127 (after adding to {@code said} why) when COMMAND cannot run, null when it looks runnable. */
    static Integer checkRunnable(String cmd, String path, List<String> said) {
        Path file;
        if (cmd.contains("/")) {
            file = Path.of(cmd);
            if (!Files.exists(file)) {
                said.add("nstun: " + cmd + ": no such file or directory");
                return ExitCodes.NOT_FOUND;
            }
        } else {
            file = Sandbox.findOnPath(cmd, path);
            if (file == null) {
                said.add("nstun: " + cmd + ": command not found");
                return ExitCodes.NOT_FOUND;
            }
        }
        if (Files.isDirectory(file) || !Files.isExecutable(file)) {
            said.add("nstun: " + cmd + ": " + (Files.isDirectory(file) ? "is a directory" : "permission denied (not executable)"));
            return ExitCodes.CANNOT_EXECUTE;
        }
        return null;
    }

    /** Returns whom {@code --user} names (null: after adding to {@code said} why not), or the invoker. */
    static Credentials credentials(String user, List<String> said) {
        if (user == null) return Users.invoker(System.getenv());
        Credentials c = Users.byName(user);
        if (c == null) {
            said.add("nstun: --user " + user + ": no such user");
            return null;
        }
        int invoker = Users.invokingUid(System.getenv());
        if (invoker != 0 && c.uid() != invoker) {
            said.add("nstun: --user " + user + ": only root may run the command as another user; under sudo it runs as the user who ran sudo");
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
            public Optional<String> variable(String name) {
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

    /** Returns the host's first nameserver (/etc/resolv.conf) as a UDP upstream, or empty when it names none. */
    private static Optional<DnsSettings.Upstream> hostUpstream() {
        InetSocketAddress host = HostResolver.fromResolvConf(Path.of("/etc/resolv.conf"));
        return Optional.ofNullable(host).map(h -> new DnsSettings.Upstream(Network.UDP, new HostPort(h.getAddress().getHostAddress(), h.getPort())));
    }

    /** Returns the command's environment: nstun's, with the user's names and home when it runs as another user. */
    static Map<String, String> environment(Credentials who) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove(SignalForwarder.JVM_SUSPEND_SIGNAL_VARIABLE);
        if (!who.unchanged() && who.userName() != null) {
            env.put("USER", who.userName());
            env.put("LOGNAME", who.userName());
            if (who.home() != null) env.put("HOME", who.home());
        }
        Credentials invoker = Users.invoker(System.getenv());
        if (!invoker.unchanged() && who.uid() == invoker.uid()) SudoCaller.environment(DESKTOP_SESSION).forEach(env::putIfAbsent);
        return env;
    }
}
