package dev.nstun.cli;

import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.Rule;
import dev.nstun.policies.learn.LearnedPolicy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.policies.outbound.ProxyAddresses;
import dev.nstun.policies.outbound.StartedConnect;
import dev.nstun.policies.outbound.UntrustedText;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.Match;
import dev.nstun.policies.rules.RuleMatcher;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.flow.UpstreamHandshake;
import dev.nstun.stack.dns.NameFilter;
import dev.nstun.stack.icmp.EchoTransport;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each flow where the policy's first matching rule says. A flow to a fake address carries
 * its name: domain rules match it and proxies are asked for the name (resolved at the proxy); a
 * direct outbound resolves it here, in the init namespace. nstun's own addresses (host loopback)
 * stay with {@link DirectDialer}. Whatever cannot be relayed is refused at once, never sent around
 * the policy. {@link #replace} swaps the policy for new flows; open ones keep their outbound.
 * Flows and names the policy's final rule rejects are told to {@link BlockedFlows}. A direct flow
 * to an address and a flow through a proxy named by its address, or by a name resolved lately, connect
 * on the stack's loop, and a rejected or dropped one is answered there ({@link #startTcp}); the others
 * connect on a thread.
 */
final class PolicyDialer implements Dialer {
    private static final Logger log = LoggerFactory.getLogger(PolicyDialer.class);

    private record Active(Policy policy, RuleMatcher matcher) {}

    private final Connectors connectors;
    private final DirectDialer nstunAddresses;
    private final FailureLog failures = new FailureLog(log);
    private final DialFailures dialFailures = new DialFailures(log);
    private final BlockedFlows blocked;
    private final LearnedPolicy learned;
    private final RunReport report;
    private volatile Active active;

    /**
     * {@code blocked} hears of every flow and name the policy's final rule rejects; {@code learned}
     * (null unless {@code --learn}) records where each flow went; {@code report} hears which rule and
     * outbound each flow met.
     */
    PolicyDialer(Policy policy, DirectDialer nstunAddresses, Connectors connectors, BlockedFlows blocked, LearnedPolicy learned,
                 RunReport report) {
        this.nstunAddresses = nstunAddresses;
        this.connectors = connectors;
        this.blocked = blocked;
        this.learned = learned;
        this.report = report;
        active = new Active(policy, RuleMatcher.of(policy));
    }

    /** Makes new flows follow {@code policy}, whose proxies' names are resolved meanwhile ({@link #prefetchProxyNames}). */
    void replace(Policy policy) {
        active = new Active(policy, RuleMatcher.of(policy));
        prefetchProxyNames();
    }

    /**
     * Has the names of the policy's proxies resolved in the background, so that flows through them
     * connect on the loop from the first ({@link ProxyAddresses#prefetch}): at a reload, and once a
     * run's stack serves, where it meets the command's own start rather than nstun's.
     */
    void prefetchProxyNames() {
        ProxyAddresses.prefetch(active.policy());
    }

    /** Returns the policy new flows follow. */
    Policy policy() {
        return active.policy();
    }

    @Override
    public SocketChannel connectTcp(FlowId flow) throws IOException {
        if (flow.destinationName().isEmpty() && NstunAddresses.contains(flow.destination())) return nstunAddresses.connectTcp(flow);
        if (flow.destinationName().isEmpty()) nstunAddresses.requireRelayable(flow.destination());
        Match m = match(flow, Network.TCP);
        refuseIfRuled(flow, m);
        try {
            return connectors.connect(m.outbound(), destination(flow), DirectDialer::relayable);
        } catch (IOException e) {
            throw dialFailures.failed(via(m), flow, e);
        }
    }

    /**
     * Starts on the loop what needs no thread: nstun's own addresses ({@link DirectDialer#startTcp});
     * a flow, to a name or an address, that the policy rejects or drops (answered at once, as
     * {@link #connectTcp} would); a flow to an address that the policy sends to a {@code direct}
     * outbound, and any flow it sends to a {@code socks5} or {@code http} outbound whose server is an
     * address or a name resolved lately ({@link Connectors#start}: the proxy's handshake then runs on
     * the loop too, at its next address when one refuses, all within the outbound's connect-timeout).
     * Each is recorded as {@link #connectTcp} records it. A name sent direct (resolved here), a proxy
     * whose name is not resolved yet and a group connect on a thread, through {@link #connectTcp},
     * which matches the flow anew and records it then.
     */
    @Override
    public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
        if (flow.destinationName().isEmpty()) {
            if (NstunAddresses.contains(flow.destination())) return nstunAddresses.startTcp(flow);
            nstunAddresses.requireRelayable(flow.destination());
        }
        FlowKey key = key(flow, Network.TCP);
        Match m = active.matcher().match(key);
        if (m.outbound() instanceof Outbound.Reject || m.outbound() instanceof Outbound.Drop) {
            record(flow, key, m);
            refuseIfRuled(flow, m); // throws the command's answer
        }
        String outbound = via(m);
        Optional<StartedConnect> begun;
        try {
            begun = connectors.start(m.outbound(), destination(flow));
        } catch (IOException e) {
            record(flow, key, m);
            throw dialFailures.failed(outbound, flow, e);
        }
        if (begun.isEmpty()) return Optional.empty();
        record(flow, key, m);
        StartedConnect started = begun.get();
        Optional<UpstreamHandshake> handshake = started.hasHandshake() ? Optional.of(() -> switch (started.advance()) {
            case READABLE -> UpstreamHandshake.Progress.READABLE;
            case WRITABLE -> UpstreamHandshake.Progress.WRITABLE;
            case DONE -> UpstreamHandshake.Progress.DONE;
        }) : Optional.empty();
        return Optional.of(new PendingConnect(started.channel(), e -> dialFailures.failed(outbound, flow, started.failed(e)),
                Optional.of(started.timeout()), handshake, Optional.of(started::fallback)));
    }

    /**
     * Throws the command's answer when {@code m}'s outbound refuses TCP: a reject outbound as a closed
     * port would (a reset), a drop outbound with silence (the stack absorbs the command's SYN retries,
     * with no thread sleeping for it). A refusal by the policy's final rule is told to {@link BlockedFlows}.
     */
    private void refuseIfRuled(FlowId flow, Match m) throws DialException {
        if (refusedByDefault(m)) blocked.flow(Network.TCP, flow);
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first flow of every run with a policy.
        if (m.outbound() instanceof Outbound.Reject reject) {
            log.debug("{}: rule {} rejects it (outbound {})", flow, m.rule().number(), reject.name());
            throw new DialException(DialFailure.REFUSED, "Connection refused: outbound " + reject.name() + " rejects " + flow);
        }
        if (m.outbound() instanceof Outbound.Drop drop) {
            throw new DialException(DialFailure.DROPPED, "outbound " + drop.name() + " drops " + flow);
        }
    }

    @Override
    public UdpUpstream openUdp(FlowId flow) throws IOException {
        if (flow.destinationName().isEmpty() && NstunAddresses.contains(flow.destination())) return nstunAddresses.openUdp(flow);
        if (flow.destinationName().isEmpty()) nstunAddresses.requireRelayable(flow.destination());
        Match m = match(flow, Network.UDP);
        if (refusedByDefault(m)) blocked.flow(Network.UDP, flow);
        try {
            return new RelayUpstream(connectors.openUdp(m.outbound(), destination(flow), DirectDialer::relayable));
        } catch (OutboundException e) {
            // Refused on purpose, or the outbound cannot carry UDP: the command falls back (QUIC to TCP) at once.
            if (m.outbound() instanceof Outbound.Reject || e.kind() == OutboundException.Kind.UNSUPPORTED) {
                throw new FlowRefusedException(e.getMessage());
            }
            // NOT_ALLOWED: a direct flow's name resolves only to this host; not a proxy's fault to warn about.
            if (e.kind() != OutboundException.Kind.NOT_ALLOWED) {
                failures.warn(via(m) + "/udp/" + e.kind(), flow + " via " + via(m) + ": " + e.getMessage(), System.nanoTime());
            }
            throw e;
        }
    }

    /**
     * Returns {@code transport} restricted by the rules: ICMP echo has no proxy protocol, so a
     * request is relayed only when the first rule that matches its address (rules naming ports
     * never match it) says direct; otherwise the command gets "administratively prohibited"
     * at once, and nothing goes around the proxy.
     */
    EchoTransport echoThrough(EchoTransport transport) {
        return (destination, replies) -> {
            if (NstunAddresses.contains(destination)) {
                throw new FlowRefusedException("ICMP echo to " + destination.getHostAddress() + ": a fake address stands for a name, not a host to ping");
            }
            Match m = active.matcher().match(FlowKey.ofAddress(destination, 0, Network.TCP));
            if (!(m.outbound() instanceof Outbound.Direct)) {
                throw new FlowRefusedException("ICMP echo to " + destination.getHostAddress() + ": rule " + m.rule().number()
                        + " sends it to " + m.outbound().name() + ", which carries no ICMP");
            }
            return transport.open(destination, replies);
        };
    }

    /**
     * Returns the filter for nstun's fake-IP resolver: a name is served unless the rules reject
     * every flow to it, whatever the port (then the command's query gets NXDOMAIN at once).
     */
    NameFilter names() {
        return name -> {
            Active a = active;
            Optional<Rule> refusing = a.matcher().refusingRule(name);
            if (refusing.isEmpty()) return true;
            log.debug("DNS {}: rule {} rejects every flow to it: NXDOMAIN", UntrustedText.printable(name), refusing.get().number());
            if (refusing.get().index() == a.policy().rules().size() - 1) blocked.name(name);
            return false;
        };
    }

    /** Returns whether the flow met the policy's final rule and that rejects it (default deny). */
    private boolean refusedByDefault(Match m) {
        return m.outbound() instanceof Outbound.Reject && m.rule().index() == active.policy().rules().size() - 1;
    }

    private Match match(FlowId flow, Network network) {
        FlowKey key = key(flow, network);
        Match m = active.matcher().match(key);
        record(flow, key, m);
        return m;
    }

    /** Tells {@code learned} and the report where {@code flow} goes. */
    private void record(FlowId flow, FlowKey key, Match m) {
        if (learned != null) learned.record(key, m.outbound(), Instant.now());
        report.matched(flow, m);
        log.debug("{}: rule {} -> outbound {}", flow, m.rule().number(), m.outbound().name());
    }

    /** Returns the outbound {@code m} chose with the rule that chose it, as a failure's line names them: "proxy (rule 2)". */
    private static String via(Match m) {
        return m.outbound().name() + " (rule " + m.rule().number() + ")";
    }

    private static FlowKey key(FlowId flow, Network network) {
        return flow.destinationName()
                .map(name -> FlowKey.ofDomain(name, flow.destinationPort(), network))
                .orElseGet(() -> FlowKey.ofAddress(flow.destination(), flow.destinationPort(), network));
    }

    private static Destination destination(FlowId flow) {
        return flow.destinationName()
                .map(name -> Destination.of(name, flow.destinationPort()))
                .orElseGet(() -> Destination.of(flow.destination(), flow.destinationPort()));
    }
}
