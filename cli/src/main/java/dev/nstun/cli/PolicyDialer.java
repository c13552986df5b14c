package dev.nstun.cli;

import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.Match;
import dev.nstun.policies.rules.RuleMatcher;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each flow where the policy's first matching rule says (by destination address and port:
 * names arrive with fake-IP DNS). nstun's own addresses (the resolver, the host's loopback) stay
 * with {@link DirectDialer}. UDP goes only to direct outbounds for now; DNS only when the policy's
 * DNS outbound is direct. Everything else is refused at once, never sent around the policy.
 */
final class PolicyDialer implements Dialer {
    private static final Logger log = LoggerFactory.getLogger(PolicyDialer.class);

    private final Policy policy;
    private final RuleMatcher matcher;
    private final Connectors connectors = new Connectors();
    private final DirectDialer nstunAddresses;
    private final boolean dnsDirect;

    PolicyDialer(Policy policy, DirectDialer nstunAddresses) {
        this.policy = policy;
        this.matcher = RuleMatcher.of(policy);
        this.nstunAddresses = nstunAddresses;
        this.dnsDirect = policy.dnsOutbound() instanceof Outbound.Direct;
        if (!dnsDirect) {
            log.warn("DNS through the {} outbound is not relayed yet: names will not resolve inside "
                    + "(nothing is sent around the proxy); use addresses, or dns: {{via: direct}}", policy.dnsOutbound().name());
        }
    }

    @Override
    public SocketChannel connectTcp(FlowId flow) throws IOException {
        if (NstunAddresses.contains(flow.destination())) return nstunAddresses.connectTcp(flow);
        Match m = matcher.match(FlowKey.ofAddress(flow.destination(), flow.destinationPort(), Network.TCP));
        log.debug("{}: rule {} -> outbound {}", flow, m.rule().number(), m.outbound().name());
        return connectors.connect(m.outbound(), Destination.of(flow.destination(), flow.destinationPort()));
    }

    @Override
    public UdpUpstream openUdp(FlowId flow) throws IOException {
        if (NstunAddresses.contains(flow.destination())) {
            if (flow.destinationPort() == 53 && !dnsDirect) throw new FlowRefusedException("DNS through a proxy is not relayed yet");
            return nstunAddresses.openUdp(flow);
        }
        Match m = matcher.match(FlowKey.ofAddress(flow.destination(), flow.destinationPort(), Network.UDP));
        log.debug("{}: rule {} -> outbound {}", flow, m.rule().number(), m.outbound().name());
        if (!(m.outbound() instanceof Outbound.Direct)) {
            throw new FlowRefusedException("UDP through the " + m.outbound().type() + " outbound " + m.outbound().name() + " is not relayed yet");
        }
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.connect(flow.destinationSocket());
            return UdpUpstream.connected(ch);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }
}
