package dev.nstun.stack.icmp;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;

/**
 * An echo flow as the command's packets name it: source, destination and identifier (IPv4
 * addresses in the low bits, high words zero). Mutable so the loop can look a packet's flow up
 * through one reused probe without allocating; a key stored in the table is a {@link #copy()} and is
 * never changed again.
 */
final class EchoKey {
    long sourceHigh;
    long sourceLow;
    long destinationHigh;
    long destinationLow;
    int identifier;
    boolean v6;

    /** Sets this key from a request of the command; returns this key. */
    EchoKey set(IpPacket ip, int identifier) {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first ping.
        if (ip instanceof Ipv4Packet p) {
            sourceHigh = 0;
            sourceLow = p.source() & 0xffffffffL;
            destinationHigh = 0;
            destinationLow = p.destination() & 0xffffffffL;
            v6 = false;
        } else {
            Ipv6Packet p = (Ipv6Packet) ip;
            sourceHigh = p.sourceHigh();
            sourceLow = p.sourceLow();
            destinationHigh = p.destinationHigh();
            destinationLow = p.destinationLow();
            v6 = true;
        }
        this.identifier = identifier;
        return this;
    }

    /** Returns an independent copy, for storing in the table. */
    EchoKey copy() {
        EchoKey k = new EchoKey();
        k.sourceHigh = sourceHigh;
        k.sourceLow = sourceLow;
        k.destinationHigh = destinationHigh;
        k.destinationLow = destinationLow;
        k.identifier = identifier;
        k.v6 = v6;
        return k;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EchoKey k && k.sourceLow == sourceLow && k.destinationLow == destinationLow
                && k.identifier == identifier && k.sourceHigh == sourceHigh && k.destinationHigh == destinationHigh
                && k.v6 == v6;
    }

    @Override
    public int hashCode() {
        long h = sourceHigh * 31 + sourceLow;
        h = h * 31 + destinationHigh;
        h = h * 31 + destinationLow;
        h = h * 31 + identifier;
        return Long.hashCode(h) ^ (v6 ? 0x5bd1e995 : 0);
    }

    @Override
    public String toString() {
        if (v6) {
            return Ipv6Packet.address(sourceHigh, sourceLow).getHostAddress() + " -> "
                    + Ipv6Packet.address(destinationHigh, destinationLow).getHostAddress() + " id " + identifier;
        }
        return Ipv4Packet.address((int) sourceLow).getHostAddress() + " -> "
                + Ipv4Packet.address((int) destinationLow).getHostAddress() + " id " + identifier;
    }
}
