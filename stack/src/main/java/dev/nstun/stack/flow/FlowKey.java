package dev.nstun.stack.udp;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;

/**
 * A UDP flow's 5-tuple as plain numbers (IPv4 addresses in the low bits with the high word zero),
 * cheap to build from a packet and to hash.
 */
record UdpKey(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow, int ports, boolean v6) {
    static UdpKey of(IpPacket ip, int sourcePort, int destinationPort) {
        int ports = (sourcePort << 16) | destinationPort;
        return switch (ip) {
            case Ipv4Packet p -> new UdpKey(0, p.source() & 0xffffffffL, 0, p.destination() & 0xffffffffL, ports, false);
            case Ipv6Packet p -> new UdpKey(p.sourceHigh(), p.sourceLow(), p.destinationHigh(), p.destinationLow(), ports, true);
        };
    }

    int sourcePort() {
        return ports >>> 16;
    }

    int destinationPort() {
        return ports & 0xffff;
    }
}
