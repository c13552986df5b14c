package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * Writes whole packets — IP header, TCP, UDP or ICMP header, checksums — into a buffer the caller
 * owns, around a payload the caller has already put in place (so data is copied once, straight
 * from where it came). One builder per loop thread: it is reused for every packet and allocates
 * nothing.
 *
 * <p>Set the addresses for the flow with {@link #ipv4} or {@link #ipv6}, write the payload at
 * {@code off + }{@link #tcpPayloadOffset}, {@link #udpPayloadOffset} or {@link #icmpPayloadOffset},
 * then call {@link #tcp}, {@link #udp}, {@link #icmpEcho} or {@link #icmpError}; each returns the
 * packet's length.
 */
public final class PacketBuilder {
    /** Hop limit for packets we originate (Linux's default TTL). */
    public static final int DEFAULT_HOP_LIMIT = 64;
    /** Largest IPv4 packet an ICMP error may make (RFC 1812 §4.3.2.3). */
    public static final int MAX_ICMPV4_ERROR = 576;
    /** Largest IPv6 packet an ICMPv6 error may make: the minimum MTU (RFC 4443 §2.4 (c)). */
    public static final int MAX_ICMPV6_ERROR = 1280;

    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final TcpSegment tcp = new TcpSegment();
    private final UdpDatagram udp = new UdpDatagram();
    private final IcmpV4Message icmp4 = new IcmpV4Message();
    private final IcmpV6Message icmp6 = new IcmpV6Message();

    private boolean v6;
    private int source4;
    private int destination4;
    private long sourceHigh;
    private long sourceLow;
    private long destinationHigh;
    private long destinationLow;
    private int hopLimit = DEFAULT_HOP_LIMIT;
    private int trafficClass;
    private int flowLabel;
    private boolean dontFragment = true;
    private int identification;
    private boolean partialChecksums;

    /** Makes the next packets IPv4, from {@code source} to {@code destination}; returns this builder. */
    public PacketBuilder ipv4(int source, int destination) {
        v6 = false;
        source4 = source;
        destination4 = destination;
        return this;
    }

    /** Makes the next packets IPv6, between addresses given as upper and lower 64 bits; returns this builder. */
    public PacketBuilder ipv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow) {
        v6 = true;
        this.sourceHigh = sourceHigh;
        this.sourceLow = sourceLow;
        this.destinationHigh = destinationHigh;
        this.destinationLow = destinationLow;
        return this;
    }

    /** Makes the next packets answer {@code ip}: its destination becomes their source and its source their destination. */
    public PacketBuilder replyTo(IpPacket ip) {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first DNS answer or ICMP error.
        if (ip instanceof Ipv4Packet p) return ipv4(p.destination(), p.source());
        Ipv6Packet p = (Ipv6Packet) ip;
        return ipv6(p.destinationHigh(), p.destinationLow(), p.sourceHigh(), p.sourceLow());
    }

    /** Sets the TTL or hop limit of the next packets (default 64); returns this builder. */
    public PacketBuilder hopLimit(int hopLimit) {
        this.hopLimit = hopLimit;
        return this;
    }

    /** Sets the IPv4 DSCP/ECN byte or IPv6 traffic class of the next packets (default 0); returns this builder. */
    public PacketBuilder trafficClass(int trafficClass) {
        this.trafficClass = trafficClass;
        return this;
    }

    /** Sets the IPv6 flow label of the next packets (default 0); returns this builder. */
    public PacketBuilder flowLabel(int flowLabel) {
        this.flowLabel = flowLabel;
        return this;
    }

    /** Sets whether the next IPv4 packets carry DF (default: yes); returns this builder. */
    public PacketBuilder dontFragment(boolean dontFragment) {
        this.dontFragment = dontFragment;
        return this;
    }

    /** Sets the identification of the next IPv4 packet; each packet takes the next value; returns this builder. */
    public PacketBuilder identification(int identification) {
        this.identification = identification;
        return this;
    }

    /**
     * Sets whether TCP segments and UDP datagrams get only the pseudo-header sum in their checksum
     * field, for a link that offloads checksums (virtio's NEEDS_CSUM, Linux's CHECKSUM_PARTIAL) to
     * finish: the payload is not summed.
     */
    public PacketBuilder partialChecksums(boolean partial) {
        this.partialChecksums = partial;
        return this;
    }

    /** Returns the IP header length of the next packets: 20 or 40. */
    public int ipHeaderLength() {
        return v6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.HEADER_LENGTH;
    }

    /** Returns where, from the packet's start, a TCP segment's options go. */
    public int tcpOptionsOffset() {
        return ipHeaderLength() + TcpSegment.HEADER_LENGTH;
    }

    /** Returns where, from the packet's start, a TCP segment's payload goes after {@code optionsLength} bytes of options. */
    public int tcpPayloadOffset(int optionsLength) {
        return tcpOptionsOffset() + optionsLength;
    }

    /** Returns where, from the packet's start, a UDP payload goes. */
    public int udpPayloadOffset() {
        return ipHeaderLength() + UdpDatagram.HEADER_LENGTH;
    }

    /** Returns where, from the packet's start, an ICMP body goes. */
    public int icmpPayloadOffset() {
        return ipHeaderLength() + IcmpMessage.HEADER_LENGTH;
    }

    /**
     * Writes the TCP segment {@code fields} describe at {@code off} of {@code buf}, whose options
     * ({@link TcpFields#optionsLength}) and payload ({@link TcpFields#payloadLength}) are already in
     * place; fills both checksums and returns the packet's length.
     */
    public int tcp(ByteBuffer buf, int off, TcpFields fields) {
        int segmentLength = TcpSegment.HEADER_LENGTH + fields.optionsLength + fields.payloadLength;
        IpPacket ip = ipHeader(buf, off, IpProtocol.TCP, segmentLength);
        TcpSegment t = tcp.wrap(buf, off + ipHeaderLength(), segmentLength);
        t.setSourcePort(fields.sourcePort);
        t.setDestinationPort(fields.destinationPort);
        t.setSeqNumber(fields.seq);
        t.setAckNumber(fields.ack);
        t.setHeaderLength(TcpSegment.HEADER_LENGTH + fields.optionsLength);
        t.setFlags(fields.flags);
        t.setWindow(fields.window);
        t.setUrgentPointer(0);
        if (partialChecksums) t.setChecksum(ip.pseudoHeaderSum(IpProtocol.TCP, segmentLength));
        else Checksum.fillTcp(ip, t);
        return ipHeaderLength() + segmentLength;
    }

    /**
     * Writes {@code options}, then the TCP segment {@code fields} describe (their options length set to
     * what {@code options} took) around the payload already at {@link #tcpPayloadOffset}; returns the
     * packet's length.
     */
    public int tcp(ByteBuffer buf, int off, TcpFields fields, TcpOptions options) {
        return tcp(buf, off, fields.optionsLength(options.emitInto(buf, off + tcpOptionsOffset())));
    }

    /** Writes a UDP datagram around the {@code payloadLength} bytes already at {@link #udpPayloadOffset}; returns the packet's length. */
    public int udp(ByteBuffer buf, int off, int sourcePort, int destinationPort, int payloadLength) {
        int datagramLength = UdpDatagram.HEADER_LENGTH + payloadLength;
        IpPacket ip = ipHeader(buf, off, IpProtocol.UDP, datagramLength);
        UdpDatagram u = udp.wrap(buf, off + ipHeaderLength(), datagramLength);
        u.setSourcePort(sourcePort);
        u.setDestinationPort(destinationPort);
        u.setLengthField(datagramLength);
        if (partialChecksums) u.setChecksum(ip.pseudoHeaderSum(IpProtocol.UDP, datagramLength));
        else Checksum.fillUdp(ip, u);
        return ipHeaderLength() + datagramLength;
    }

    /**
     * Writes an echo reply (or, with {@code request}, an echo request) of the family set, around the
     * {@code payloadLength} bytes already at {@link #icmpPayloadOffset}; returns the packet's length.
     */
    public int icmpEcho(ByteBuffer buf, int off, boolean request, int identifier, int sequence, int payloadLength) {
        int type = v6
                ? request ? IcmpV6Message.TYPE_ECHO_REQUEST : IcmpV6Message.TYPE_ECHO_REPLY
                : request ? IcmpV4Message.TYPE_ECHO_REQUEST : IcmpV4Message.TYPE_ECHO_REPLY;
        return icmp(buf, off, type, 0, identifier << 16 | sequence & 0xffff, payloadLength);
    }

    /**
     * Writes an ICMP error of the family set (type and code of that family; {@code restOfHeader} the
     * MTU or pointer where the type has one) that quotes as much of the packet at {@code [quotedOff,
     * quotedOff + quotedLen)} of {@code quoted} as the size limit allows (576 bytes for IPv4, 1280 for
     * IPv6). {@code quoted} must not overlap the packet being written. Returns the packet's length.
     */
    public int icmpError(ByteBuffer buf, int off, int type, int code, int restOfHeader,
                         ByteBuffer quoted, int quotedOff, int quotedLen) {
        int limit = (v6 ? MAX_ICMPV6_ERROR : MAX_ICMPV4_ERROR) - icmpPayloadOffset();
        int copied = Math.min(quotedLen, limit);
        buf.put(off + icmpPayloadOffset(), quoted, quotedOff, copied);
        return icmp(buf, off, type, code, restOfHeader, copied);
    }

    /** Writes a port-unreachable error of the family set quoting {@code ip} (what a closed UDP port answers); returns the packet's length. */
    public int portUnreachable(ByteBuffer buf, int off, IpPacket ip) {
        int code = v6 ? IcmpV6Message.CODE_PORT_UNREACHABLE : IcmpV4Message.CODE_PORT_UNREACHABLE;
        return icmpError(buf, off, destinationUnreachableType(), code, 0, ip.buffer(), ip.offset(), ip.length());
    }

    /** Writes an administratively-prohibited error of the family set quoting {@code ip} (a flow policy refused); returns the packet's length. */
    public int adminProhibited(ByteBuffer buf, int off, IpPacket ip) {
        int code = v6 ? IcmpV6Message.CODE_ADMIN_PROHIBITED : IcmpV4Message.CODE_ADMIN_PROHIBITED;
        return icmpError(buf, off, destinationUnreachableType(), code, 0, ip.buffer(), ip.offset(), ip.length());
    }

    /** Writes a network-unreachable (IPv6: no-route) error of the family set quoting {@code ip} (what a router without a route answers); returns the packet's length. */
    public int networkUnreachable(ByteBuffer buf, int off, IpPacket ip) {
        int code = v6 ? IcmpV6Message.CODE_NO_ROUTE : IcmpV4Message.CODE_NET_UNREACHABLE;
        return icmpError(buf, off, destinationUnreachableType(), code, 0, ip.buffer(), ip.offset(), ip.length());
    }

    /** Writes a host-unreachable (IPv6: address-unreachable) error of the family set quoting {@code ip}; returns the packet's length. */
    public int hostUnreachable(ByteBuffer buf, int off, IpPacket ip) {
        int code = v6 ? IcmpV6Message.CODE_ADDRESS_UNREACHABLE : IcmpV4Message.CODE_HOST_UNREACHABLE;
        return icmpError(buf, off, destinationUnreachableType(), code, 0, ip.buffer(), ip.offset(), ip.length());
    }

    private int destinationUnreachableType() {
        return v6 ? IcmpV6Message.TYPE_DESTINATION_UNREACHABLE : IcmpV4Message.TYPE_DESTINATION_UNREACHABLE;
    }

    private int icmp(ByteBuffer buf, int off, int type, int code, int restOfHeader, int bodyLength) {
        int messageLength = IcmpMessage.HEADER_LENGTH + bodyLength;
        int protocol = v6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
        IpPacket ip = ipHeader(buf, off, protocol, messageLength);
        int at = off + ipHeaderLength();
        IcmpMessage m = v6 ? icmp6.wrap(buf, at, messageLength) : icmp4.wrap(buf, at, messageLength);
        m.setType(type);
        m.setCode(code);
        m.setRestOfHeader(restOfHeader);
        if (v6) {
            Checksum.fillIcmpV6((Ipv6Packet) ip, icmp6);
        } else {
            Checksum.fillIcmpV4(icmp4);
        }
        return ipHeaderLength() + messageLength;
    }

    /** Writes the IP header for {@code upperLength} bytes of {@code protocol}; returns the view over it. */
    private IpPacket ipHeader(ByteBuffer buf, int off, int protocol, int upperLength) {
        if (v6) {
            Ipv6Packet p = ip6.wrap(buf, off, Ipv6Packet.HEADER_LENGTH);
            p.setVersionClassFlow(trafficClass, flowLabel);
            p.setPayloadLength(upperLength);
            p.setNextHeader(protocol);
            p.setHopLimit(hopLimit);
            p.setSource(sourceHigh, sourceLow);
            p.setDestination(destinationHigh, destinationLow);
            return p;
        }
        Ipv4Packet p = ip4.wrap(buf, off, Ipv4Packet.HEADER_LENGTH + upperLength);
        p.setVersionAndHeaderLength(Ipv4Packet.HEADER_LENGTH);
        p.setDscpEcn(trafficClass);
        p.setTotalLength(Ipv4Packet.HEADER_LENGTH + upperLength);
        p.setIdentification(identification++);
        p.setFlagsAndFragmentOffset(dontFragment, false, 0);
        p.setTtl(hopLimit);
        p.setProtocol(protocol);
        p.setSource(source4);
        p.setDestination(destination4);
        Checksum.fillIpv4Header(p);
        return p;
    }
}
