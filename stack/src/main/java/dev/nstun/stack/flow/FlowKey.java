package dev.nstun.stack.flow;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;

/**
 * A flow's addresses and ports as plain numbers (an IPv4 address in the low word, high word zero),
 * cheap to build from a packet and to hash. Each protocol keeps its own table, so the protocol is
 * not part of the key.
 */
public record FlowKey(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow, int ports, boolean v6) {
    /** Returns the key of the packet {@code ip} carrying the given ports. */
    public static FlowKey of(IpPacket ip, int sourcePort, int destinationPort) {
        int ports = (sourcePort << 16) | destinationPort;
        return switch (ip) {
            case Ipv4Packet p -> new FlowKey(0, p.source() & 0xffffffffL, 0, p.destination() & 0xffffffffL, ports, false);
            case Ipv6Packet p -> new FlowKey(p.sourceHigh(), p.sourceLow(), p.destinationHigh(), p.destinationLow(), ports, true);
        };
    }

    /** Returns the command's port. */
    public int sourcePort() {
        return ports >>> 16;
    }

    /** Returns the port the command addressed. */
    public int destinationPort() {
        return ports & 0xffff;
    }
}
