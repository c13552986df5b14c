package dev.nstun.stack.flow;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;

/**
 * A flow's addresses and ports as plain numbers (an IPv4 address in the low word, high word zero),
 * cheap to build from a packet and to hash. Each protocol keeps its own table, so the protocol is
 * not part of the key.
 *
 * <p>No pattern switch and no generated {@code equals} or {@code hashCode} here: each is bootstrapped
 * (a class spun, method handles linked) at its first use, which is the command's first connection.
 */
public record FlowKey(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow, int ports, boolean v6) {
    /** Returns the key of the packet {@code ip} carrying the given ports. */
    public static FlowKey of(IpPacket ip, int sourcePort, int destinationPort) {
        int ports = (sourcePort << 16) | destinationPort;
        if (ip instanceof Ipv4Packet p) return new FlowKey(0, p.source() & 0xffffffffL, 0, p.destination() & 0xffffffffL, ports, false);
        Ipv6Packet p = (Ipv6Packet) ip;
        return new FlowKey(p.sourceHigh(), p.sourceLow(), p.destinationHigh(), p.destinationLow(), ports, true);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && sourceHigh == k.sourceHigh && sourceLow == k.sourceLow && destinationHigh == k.destinationHigh
                && destinationLow == k.destinationLow && ports == k.ports && v6 == k.v6;
    }

    @Override
    public int hashCode() {
        long h = ((sourceHigh * 31 + sourceLow) * 31 + destinationHigh) * 31 + destinationLow;
        return Long.hashCode(h) * 31 + ports;
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
