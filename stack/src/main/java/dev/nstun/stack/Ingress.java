package dev.nstun.stack;

import dev.nstun.stack.wire.AddressScope;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * The first look at a packet from the command, before reassembly and the flows: its addresses
 * decide whether it goes on. A martian source ({@link AddressScope#validSource()}) is dropped
 * silently, as Linux drops one on input. A destination no flow may go to is never relayed,
 * whatever the command's privileges let it write on the TUN: a multicast or broadcast one is
 * dropped silently; to any other (loopback, unspecified, IPv4-mapped...) a TCP segment or UDP
 * datagram is answered with ICMP "network unreachable" (IPv6: "no route to destination"), as a
 * router without a route answers, so a connect fails at once with {@code ENETUNREACH}.
 *
 * <p>The error comes from nstun's own address of the packet's family on the TUN's link: one from
 * the unroutable destination itself would be a martian to the command's kernel, which would drop
 * it. With no such address the packet is only dropped. Every packet refused is counted.
 *
 * <p>Lives on the loop thread.
 */
final class Ingress {
    private final PacketOutput output;
    private final StackCounters counters;
    private final PacketBuilder builder = new PacketBuilder();
    private final Inet4Address router4;
    private final Inet6Address router6;

    /** Creates the check; errors come from the first IPv4 and the first IPv6 address of {@code ownAddresses}. */
    Ingress(PacketOutput output, StackCounters counters, List<InetAddress> ownAddresses) {
        this.output = output;
        this.counters = counters;
        this.router4 = ownAddresses.stream().filter(a -> a instanceof Inet4Address).map(a -> (Inet4Address) a).findFirst().orElse(null);
        this.router6 = ownAddresses.stream().filter(a -> a instanceof Inet6Address).map(a -> (Inet6Address) a).findFirst().orElse(null);
    }

    /** Returns whether {@code ip} (checked, possibly a fragment) may go on; if not, it was counted and, where a network would, answered. */
    boolean admit(IpPacket ip) {
        if (!AddressScope.ofSource(ip).validSource()) {
            counters.count(StackCounters.Drop.MARTIAN_SOURCE);
            return false;
        }
        AddressScope destination = AddressScope.ofDestination(ip);
        if (destination.relayable()) return true;
        if (destination.group()) {
            counters.count(StackCounters.Drop.GROUP_DESTINATION);
            return false;
        }
        counters.count(StackCounters.Drop.UNROUTABLE_DESTINATION);
        // ICMP is not answered with ICMP errors (RFC 1122 §3.2.2), nor is a fragment that may not be the first.
        if (!ip.isFragment() && (ip.protocol() == IpProtocol.TCP || ip.protocol() == IpProtocol.UDP)) answerNoRoute(ip);
        return false;
    }

    private void answerNoRoute(IpPacket ip) {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first packet to an address with no route.
        if (ip instanceof Ipv4Packet p) {
            if (router4 == null) return;
            builder.ipv4(Ipv4Packet.toInt(router4), p.source());
        } else {
            Ipv6Packet p = (Ipv6Packet) ip;
            if (router6 == null) return;
            builder.ipv6(Ipv6Packet.high(router6), Ipv6Packet.low(router6), p.sourceHigh(), p.sourceLow());
        }
        output.send(builder.networkUnreachable(output.buffer().clear(), 0, ip));
    }
}
