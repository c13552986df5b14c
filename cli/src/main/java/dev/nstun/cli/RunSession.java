package dev.nstun.cli;

import dev.nstun.netns.InstanceName;
import dev.nstun.netns.NamedNamespace;
import dev.nstun.netns.NotifySocket;
import dev.nstun.netns.Privileges;
import dev.nstun.netns.ResolverFiles;
import dev.nstun.netns.RunRegistry;
import dev.nstun.netns.Sandbox;
import dev.nstun.netns.SandboxException;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.stack.DnsEndpoint;
import dev.nstun.stack.NetStack;
import dev.nstun.stack.StackSnapshot;
import dev.nstun.stack.device.Device;
import dev.nstun.stack.device.FaultInjectingDevice;
import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.icmp.EchoFlows;
import dev.nstun.stack.icmp.EchoTransport;
import dev.nstun.stack.pcap.PcapDevice;
import dev.nstun.stack.pcap.PcapWriter;
import dev.nstun.stack.relay.TcpFlows;
import dev.nstun.stack.udp.UdpFlows;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RunPlan} carried out: the run's record, DNS forwarding, the dialers, the namespace with
 * the command in it, the link to its TUN, the stack serving it and the run's control socket
 * ({@code nstun status}), started in that order. For {@code up} there is no command: the name is
 * claimed first, and the namespace, once served, is published under it (and systemd told) until a
 * signal stops the session. Whatever
 * was started is closed by one {@link Closer}, last started first, on every path: a start that
 * fails half-way, the command's exit, an exception.
 */
final class RunSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunSession.class);
    /** How long the stack's loop may take to wind down at the end. */
    private static final long STACK_STOP_MILLIS = 2000;
    /** How long a status request waits for the stack's loop to take its snapshot. */
    private static final long SNAPSHOT_MILLIS = 2000;

    /** What {@link #start} came to. */
    sealed interface Start {}

    /** The command runs, served by the stack. */
    record Running(RunSession session) implements Start {}

    /** Nothing runs any more (everything started was closed): exit with {@code status}, after saying {@code line} if there is one. */
    record Failed(int status, Optional<String> line) implements Start {}

    /** A start that cannot go on; the {@link Closer} undoes what it did. */
    private static final class StartFailure extends Exception {
        final int status;

        StartFailure(int status, String line) {
            super(line, null, false, false);
            this.status = status;
        }
    }

    private final RunPlan plan;
    private final PrintWriter err;
    private final Closer closer = new Closer();
    private final RunReport report = new RunReport();
    private Sandbox sandbox;
    private NetStack stack;
    /** {@code up}: counted down by a signal that asks it to stop ({@code nstun down} sends SIGTERM). */
    private final CountDownLatch stop = new CountDownLatch(1);

    private RunSession(RunPlan plan, PrintWriter err) {
        this.plan = plan;
        this.err = err;
    }

    /** Starts everything {@code plan} describes; {@code err} hears of flows the rules refuse. */
    static Start start(RunPlan plan, PrintWriter err) {
        RunSession session = new RunSession(plan, err);
        try {
            session.startPieces();
            return new Running(session);
        } catch (StartFailure e) {
            session.close();
            return new Failed(e.status, Optional.ofNullable(e.getMessage()));
        } catch (RuntimeException | Error e) {
            session.close();
            throw e;
        }
    }

    private void startPieces() throws StartFailure {
        StartTimes.mark("planned");
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
        }
        registry.cleanStale();
        String runId = RunRegistry.newRunId();
        if (plan.up().isPresent()) {
            InstanceName name = plan.up().get().name();
            try {
                registry.claim(name, runId);
            } catch (RunRegistry.NameTaken e) {
                throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
            } catch (IOException e) {
                throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: cannot record the namespace " + name + " in " + registry.directory() + ": "
                        + e.getMessage());
            }
            closer.onClose("the name " + name, () -> registry.release(name));
        }

        BlockedFlows blocked = new BlockedFlows(err);
        closer.onClose("the summary of blocked flows", blocked::summarize);
        Connectors connectors = new Connectors(Outbound.DEFAULT_CONNECT_TIMEOUT, new KernelSocketTuner());
        Optional<DnsSettings.Upstream> override = plan.dns().override();
        DnsForwarding forwarding = closer.closing("DNS forwarding", plan.policy()
                .map(p -> DnsForwarding.of(p, override.orElse(null), connectors))
                .orElseGet(() -> {
                    if (plan.dns().direct().isEmpty()) {
                        log.warn("the host's /etc/resolv.conf names no nameserver: the command's DNS queries will fail (give --dns-upstream)");
                    }
                    return DnsForwarding.direct(plan.dns().direct().orElse(null), connectors);
                }));
        log.debug("DNS queries nstun does not answer itself go to {}", forwarding.describe());

        DirectDialer direct = new DirectDialer(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, plan.hostLoopback());
        PolicyDialer policyDialer = plan.policy()
                .map(p -> new PolicyDialer(p, direct, connectors, blocked, plan.learning().map(RunPlan.Learning::into).orElse(null),
                        report))
                .orElse(null);
        Dialer dialer = report.around(policyDialer != null ? policyDialer : direct);
        DnsResolver resolver = plan.policy().map(Policy::dns).map(DnsSettings::mode).orElse(null) == DnsSettings.Mode.FAKE_IP
                ? new DnsResolver(DnsResolver.Mode.FAKE_IP, NstunAddresses.fakeIpPool(), DnsResolver.DEFAULT_TTL_SECONDS, policyDialer.names())
                : new DnsResolver(DnsResolver.Mode.FORWARD, null, DnsResolver.DEFAULT_TTL_SECONDS);
        DnsEndpoint.Config dns = new DnsEndpoint.Config(NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6, resolver, forwarding,
                registry.runtimeDirectory(runId));

        PcapWriter pcap = null;
        if (plan.pcap().isPresent()) {
            try {
                pcap = closer.closing("the pcap file", PcapWriter.create(plan.files().createOutput(plan.pcap().get()), NetStack.MAX_PACKET));
            } catch (IOException e) {
                throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: cannot write --pcap " + plan.pcap().get() + ": " + e.getMessage());
            }
        }
        closer.onClose("the run's record", () -> registry.forget(runId));
        PolicyReloader reloader = plan.policyFile()
                .map(file -> new PolicyReloader(file, plan.access(), plan.policyEnvironment(), plan.files(), plan.mode(), policyDialer,
                        p -> forwarding.use(p, override.orElse(null)), registry, runId))
                .orElse(null);
        SignalForwarder signals = SignalForwarder.install(reloader == null ? null : reloader::request);
        closer.onClose("signal forwarding", signals::uninstall);
        // A signal that would have ended the command ends the run before there is a command.
        if (signals.firstHeld() != 0) throw new StartFailure(128 + signals.firstHeld(), null);
        Map<String, String> environment = new HashMap<>(plan.environment());
        environment.put(RunRegistry.MARK, runId);
        try {
            sandbox = closer.closing("the namespace and its command", Sandbox.create(new Sandbox.Spec(plan.tun(), NstunAddresses.resolvConf(),
                    plan.user(), plan.rootInside(), plan.command(), environment, null)));
        } catch (SandboxException e) {
            throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
        }
        StartTimes.mark("namespace");
        // Recorded before the command starts: a nstun killed at any moment after leaves the record.
        try {
            registry.record(runId, sandbox.namespaceId(), plan.policyFile(), Optional.of(registry.controlSocket(runId)));
        } catch (IOException e) {
            log.warn("cannot record this run ({}): if nstun is killed, processes the command started may linger", e.getMessage());
        }
        // The keeper starts the command (~8 ms: entering the namespace, its mounts, two execs) while this
        // thread readies the stack: its first packets wait in the TUN's queue until the loop reads them.
        if (plan.up().isEmpty()) sandbox.startLaunch();

        Device link = new TunLink(sandbox.tun());
        if (pcap != null) link = new PcapDevice(link, pcap, Clock.systemUTC());
        if (plan.faults().isPresent()) link = new FaultInjectingDevice(link, plan.faults().get());
        closer.closing("the TUN link", link);
        IcmpEchoTransport echo = closer.closing("ICMP echo sockets", IcmpEchoTransport.open());
        EchoTransport echoes = policyDialer != null ? policyDialer.echoThrough(echo) : echo;
        try {
            stack = new NetStack(link, new NetStack.Config(dialer, echoes, UdpFlows.Config.defaults(), TcpFlows.Config.defaults(plan.tun().mtu()),
                    EchoFlows.Config.defaults(NstunAddresses.resolvers()), Optional.of(dns)));
        } catch (IOException e) {
            throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: cannot start the stack: " + e.getMessage());
        }
        Thread loop = Thread.ofPlatform().name("nstun-stack").daemon(true).start(stack);
        closer.onClose("the stack", () -> {
            stack.stop();
            loop.join(STACK_STOP_MILLIS);
        });
        StatusDocument.RunInfo info = new StatusDocument.RunInfo(ProcessHandle.current().pid(), runId, plan.command(), plan.policyFile(),
                System.nanoTime());
        try {
            closer.closing("the control socket", ControlServer.start(registry.controlSocket(runId), request -> answer(request, info)));
        } catch (IOException e) {
            log.warn("no control socket ({}): nstun status cannot see this run", e.getMessage());
        }
        StartTimes.mark("stack");
        if (policyDialer != null) policyDialer.prefetchProxyNames();
        if (plan.up().isPresent()) {
            publish(plan.up().get(), registry, runId);
            signals.attachService(signal -> {
                if (SignalForwarder.stops(signal)) stop.countDown();
            });
            return;
        }
        try {
            sandbox.awaitLaunch();
        } catch (SandboxException e) {
            throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
        }
        signals.attach(sandbox::signal);
        StartTimes.mark("command");
        StartTimes.log(log);
    }

    /**
     * Makes the namespace of {@code up} joinable by name, served already: as root under the names
     * {@code ip netns} reads; in the registry for {@code nstun exec} (rootless, through this nstun's
     * user namespace, which owns the network namespace). Then tells systemd it is ready, when it asks.
     */
    private void publish(RunPlan.Up up, RunRegistry registry, String runId) throws StartFailure {
        InstanceName name = up.name();
        if (plan.mode() == Privileges.Mode.ROOT) {
            try {
                NamedNamespace.publish(name, sandbox.namespacePath(), NstunAddresses.resolvConf(), ResolverFiles.nsswitchConf());
            } catch (IOException e) {
                throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
            }
            String namespaceId = sandbox.namespaceId();
            closer.onClose("/run/netns/" + name, () -> NamedNamespace.remove(name, namespaceId));
        }
        Optional<Sandbox.Joined> joined = Optional.empty();
        if (plan.mode() == Privileges.Mode.ROOTLESS) {
            try {
                joined = Optional.of(new Sandbox.Joined("/proc/" + ProcessHandle.current().pid() + "/ns/user", sandbox.prepareMountsForJoiners()));
            } catch (SandboxException e) {
                throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: " + e.getMessage());
            }
        }
        try {
            registry.publish(name, runId, sandbox.namespaceId(), up.policy(), Instant.now(), new Sandbox.Entry(sandbox.namespacePath(), joined));
        } catch (IOException e) {
            throw new StartFailure(ExitCodes.NSTUN_FAILED, "nstun: cannot record the namespace " + name + ": " + e.getMessage());
        }
        log.info("namespace {} is up: nstun exec {} -- COMMAND{} runs a command in it; nstun down {} stops it", name, name,
                plan.mode() == Privileges.Mode.ROOT ? " (or ip netns exec " + name + " COMMAND)" : "", name);
        String notify = System.getenv(NotifySocket.VARIABLE);
        if (notify != null) {
            NotifySocket.send(notify, "READY=1\nSTATUS=namespace " + name + " is up\nMAINPID=" + ProcessHandle.current().pid() + "\n");
            closer.onClose("systemd's stopping notice", () -> NotifySocket.send(notify, "STOPPING=1\n"));
        }
    }

    /** Answers a request on the control socket (on its thread: the stack's own state is read on the loop). */
    private String answer(String request, StatusDocument.RunInfo info) {
        if (!request.equals("status")) return StatusDocument.unknownRequest(request);
        try {
            StackSnapshot snapshot = stack.snapshot().get(SNAPSHOT_MILLIS, TimeUnit.MILLISECONDS);
            return StatusDocument.of(info, snapshot, report, System.nanoTime());
        } catch (TimeoutException e) {
            return StatusDocument.error("the stack did not answer within " + SNAPSHOT_MILLIS + " ms (it may be ending)");
        } catch (ExecutionException e) {
            log.debug("a status snapshot failed", e.getCause());
            return StatusDocument.error("the snapshot failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StatusDocument.error("interrupted");
        }
    }

    /** Waits for the command; returns its exit status (128+N when signal N killed it). {@code up}: waits to be stopped, returns 0. */
    int waitFor() throws InterruptedException {
        if (plan.up().isPresent()) {
            stop.await();
            return 0;
        }
        return sandbox.waitFor();
    }

    /** Returns the stack (its counters stay readable once it has stopped). */
    NetStack stack() {
        return stack;
    }

    /** Says on {@code err} what the run did (all of it once closed): see {@link RunReport}. */
    void printReport(PrintWriter err) {
        report.print(err, stack.counters());
    }

    /** Stops and closes everything started, last started first: the stack, the TUN, the namespace and what is left in it, … */
    @Override
    public void close() {
        closer.close();
    }
}
