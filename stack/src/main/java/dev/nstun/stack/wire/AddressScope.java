package dev.nstun.stack.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * What kind of address an IPv4 or IPv6 address is, for deciding whether a packet from the command
 * may carry it as its source and whether a flow to it may be relayed: the one place that knows
 * which addresses lead to the host itself (loopback, unspecified, IPv4-mapped) or to no single
 * peer (multicast, broadcast). Linux drops the same sources as martians on input (RFC 1812 §5.3.7,
 * RFC 4291 §2.5.2–2.5.5, {@code ip6_rcv_core}); a relay that dialed such a destination from the
 * host would reach the host's own loopback services.
 */
public enum AddressScope {
    /** An ordinary unicast address: a valid source, and a destination the policy decides about. */
    UNICAST("unicast", true, true),
    /** IPv6 link-local, fe80::/10: a valid source, but as a destination only on the TUN's own link. */
    LINK_LOCAL("link-local", true, false),
    /** 127.0.0.0/8 or ::1: the host itself. */
    LOOPBACK("loopback", false, false),
    /** 0.0.0.0/8 ("this network", 0.0.0.0 itself) or ::, which a connect turns into the host's loopback. */
    UNSPECIFIED("unspecified", false, false),
    /** 240.0.0.0/4 but the broadcast address, or an IPv4-compatible ::/96 address (deprecated, RFC 4291 §2.5.5.1). */
    RESERVED("reserved", false, false),
    /** ::ffff:0:0/96: an IPv4 address that must never appear on the wire (a socket connects to the IPv4 address). */
    IPV4_MAPPED("IPv4-mapped", false, false),
    /** 224.0.0.0/4 or ff00::/8. */
    MULTICAST("multicast", false, false),
    /** 255.255.255.255. */
    BROADCAST("broadcast", false, false);

    private final String description;
    private final boolean validSource;
    private final boolean relayable;

    AddressScope(String description, boolean validSource, boolean relayable) {
        this.description = description;
        this.validSource = validSource;
        this.relayable = relayable;
    }

    /** Returns the kind in words, for messages: "loopback", "IPv4-mapped". */
    public String description() {
        return description;
    }

    /** Returns whether a packet may carry an address of this kind as its source (otherwise it is a martian). */
    public boolean validSource() {
        return validSource;
    }

    /** Returns whether a flow to an address of this kind may leave the namespace at all. */
    public boolean relayable() {
        return relayable;
    }

    /** Returns whether an address of this kind names many receivers or none: never answered with an ICMP error (RFC 1122 §3.2.2). */
    public boolean group() {
        return this == MULTICAST || this == BROADCAST;
    }

    /** Returns the kind of the IPv4 address {@code address} (as an int, most significant byte first). */
    public static AddressScope ofIpv4(int address) {
        int first = address >>> 24;
        if (first == 0) return UNSPECIFIED;
        if (first == 127) return LOOPBACK;
        if (address == -1) return BROADCAST;
        if (first >>> 4 == 0xe) return MULTICAST;
        if (first >>> 4 == 0xf) return RESERVED;
        return UNICAST;
    }

    /** Returns the kind of the IPv6 address whose first and last 8 bytes are {@code high} and {@code low}. */
    public static AddressScope ofIpv6(long high, long low) {
        if (high >>> 56 == 0xff) return MULTICAST;
        if (high >>> 54 == 0x3fa) return LINK_LOCAL;
        if (high != 0) return UNICAST;
        if (low == 0) return UNSPECIFIED;
        if (low == 1) return LOOPBACK;
        if (low >>> 32 == 0xffff) return IPV4_MAPPED;
        if (low >>> 32 == 0) return RESERVED;
        return UNICAST;
    }

    /**
     * Returns the kind of {@code address}. The JDK turns an IPv4-mapped address into an
     * {@link Inet4Address}, which is then judged as the IPv4 address it is (a connect to it goes there).
     */
    public static AddressScope of(InetAddress address) {
        // Not a pattern switch: that is bootstrapped at its first use, a dialer's first connection.
        if (address instanceof Inet4Address a) return ofIpv4(Ipv4Packet.toInt(a));
        if (address instanceof Inet6Address a) return ofIpv6(Ipv6Packet.high(a), Ipv6Packet.low(a));
        throw new IllegalArgumentException("neither IPv4 nor IPv6: " + address);
    }

    /** Returns the kind of {@code ip}'s source address. */
    public static AddressScope ofSource(IpPacket ip) {
        // instanceof, not a pattern switch: a cold JVM's first pattern switch builds a class (~15 ms), and the
        // stack's first packet comes here while nstun starts the command. IpPacket has these two kinds only.
        if (ip instanceof Ipv4Packet p) return ofIpv4(p.source());
        Ipv6Packet p = (Ipv6Packet) ip;
        return ofIpv6(p.sourceHigh(), p.sourceLow());
    }

    /** Returns the kind of {@code ip}'s destination address. */
    public static AddressScope ofDestination(IpPacket ip) {
        // instanceof, not a pattern switch: see ofSource.
        if (ip instanceof Ipv4Packet p) return ofIpv4(p.destination());
        Ipv6Packet p = (Ipv6Packet) ip;
        return ofIpv6(p.destinationHigh(), p.destinationLow());
    }
}
