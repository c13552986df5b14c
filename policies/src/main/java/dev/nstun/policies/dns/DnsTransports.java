package dev.nstun.policies.dns;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses how a {@link DnsClient} reaches its upstream, from the upstream's transport and the outbound's type. */
final class DnsTransports {
    private static final Logger log = LoggerFactory.getLogger(DnsTransports.class);

    private DnsTransports() {
    }

    static DnsClient create(DnsSettings.Upstream upstream, Outbound via, Connectors connectors, Duration timeout) {
        Objects.requireNonNull(connectors, "connectors");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a DNS timeout must be positive, not " + timeout);
        }
        Destination server = Destination.of(upstream.server().host(), upstream.server().port());
        String label = upstream + " (via outbound " + via.name() + ")";
        // TCP to the same server: for tcp:// upstreams, and where UDP cannot go through the outbound.
        String overTcp = "tcp://" + upstream.server() + " (via outbound " + via.name() + ")";
        Opener<SocketChannel> connect = () -> connectors.connect(via, server);
        boolean udp = upstream.transport() == Network.UDP;
        // instanceof, not a pattern switch: a cold JVM's first pattern switch builds a class (~15 ms), on every run's start.
        if (via instanceof Outbound.Reject || via instanceof Outbound.Drop) return refused(upstream, via);
        if (udp && via instanceof Outbound.Direct direct) return new UdpDnsClient(() -> connectors.datagram(direct, server), label, timeout);
        if (udp && via instanceof Outbound.Socks5 socks5 && socks5.carries(Network.UDP)) {
            return new Socks5UdpDnsClient(socks5, connectors, server, label, timeout, new TcpDnsClient(connect, overTcp, timeout));
        }
        // UDP through a group goes through its first member that carries UDP, as flows of the command do.
        if (udp && via instanceof Outbound.Group group && group.udpMember().isPresent()) {
            return create(upstream, group.udpMember().get(), connectors, timeout);
        }
        if (udp) {
            log.info("DNS upstream {}: outbound {} ({}) carries TCP only, so queries go over TCP to the same server",
                    upstream, via.name(), via.type());
        }
        return new TcpDnsClient(connect, overTcp, timeout);
    }

    /** Returns a client whose every query fails at once: the outbound carries nothing. */
    private static DnsClient refused(DnsSettings.Upstream upstream, Outbound via) {
        String message = "DNS queries to " + upstream + " are refused: they go through outbound " + via.name() + ", a " + via.type()
                + " outbound, which carries nothing (set dns.via to a socks5, http or direct outbound)";
        return new DnsClient() {
            @Override
            public byte[] exchange(byte[] query) throws IOException {
                DnsMessages.checkQuery(query);
                throw new IOException(message);
            }

            @Override
            public void close() {
                // Nothing is open.
            }

            @Override
            public String toString() {
                return "DNS refused (outbound " + via.name() + ")";
            }
        };
    }
}
