package dev.nstun.netns;

import java.nio.ByteBuffer;

/**
 * Reads what an ICMP socket received: an echo reply (identifier, sequence, data) or an error that
 * quotes one of our echo requests (type, code, the quoted request's identifier, sequence and
 * destination). One instance, reused by the reader thread; nothing here allocates or throws on
 * malformed input. Buffers are big-endian; offsets absolute.
 */
final class IcmpInbound {
    /** What a message turned out to be. */
    enum Kind { ECHO_REPLY, ERROR, OTHER }

    static final int ICMP_HEADER = 8;
    static final int IPV4_MIN_HEADER = 20;
    static final int IPV6_HEADER = 40;
    static final int V4_ECHO_REPLY = 0;
    static final int V4_DESTINATION_UNREACHABLE = 3;
    static final int V4_ECHO_REQUEST = 8;
    static final int V4_TIME_EXCEEDED = 11;
    static final int V4_PARAMETER_PROBLEM = 12;
    static final int V6_DESTINATION_UNREACHABLE = 1;
    static final int V6_PACKET_TOO_BIG = 2;
    static final int V6_TIME_EXCEEDED = 3;
    static final int V6_PARAMETER_PROBLEM = 4;
    static final int V6_ECHO_REQUEST = 128;
    static final int V6_ECHO_REPLY = 129;

    Kind kind;
    int type;
    int code;
    int restOfHeader;
    /** Echo reply: its identifier; error: the quoted request's. */
    int identifier;
    /** Echo reply: its sequence; error: the quoted request's. */
    int sequence;
    /** Echo reply: where its data starts and how long it is. */
    int payloadOffset;
    int payloadLength;
    /** A raw IPv4 datagram: the source in its IP header. */
    int source4;
    /** Error: the destination of the quoted request (IPv4 in the low 32 bits of {@link #quotedDestinationLow}). */
    long quotedDestinationHigh;
    long quotedDestinationLow;

    /** Parses what a raw IPv4 ICMP socket delivers: the IP header, then the message (checksum verified here). */
    Kind parseRaw4(ByteBuffer b, int off, int len) {
        kind = Kind.OTHER;
        if (len < IPV4_MIN_HEADER || (b.get(off) & 0xf0) != 0x40) return kind;
        int headerLength = (b.get(off) & 0x0f) * 4;
        int total = Math.min(len, u16(b, off + 2));
        if (headerLength < IPV4_MIN_HEADER || total < headerLength + ICMP_HEADER) return kind;
        if (checksum(b, off + headerLength, total - headerLength) != 0) return kind;
        source4 = b.getInt(off + 12);
        return parseMessage4(b, off + headerLength, total - headerLength);
    }

    /** Parses an ICMP message for IPv4 whose checksum is verified (by the kernel, for a ping socket). */
    Kind parseMessage4(ByteBuffer b, int off, int len) {
        kind = Kind.OTHER;
        if (len < ICMP_HEADER) return kind;
        readHeader(b, off);
        switch (type) {
            case V4_ECHO_REPLY -> readEcho(b, off, len);
            case V4_DESTINATION_UNREACHABLE, V4_TIME_EXCEEDED, V4_PARAMETER_PROBLEM -> {
                // RFC 792: the quoted IP header (with options) and the first 8 bytes of what it carried.
                int q = off + ICMP_HEADER;
                int end = off + len;
                if (end - q < IPV4_MIN_HEADER || (b.get(q) & 0xf0) != 0x40) return kind;
                int quotedHeader = (b.get(q) & 0x0f) * 4;
                if (quotedHeader < IPV4_MIN_HEADER || end - q < quotedHeader + ICMP_HEADER) return kind;
                if ((b.get(q + 9) & 0xff) != LibC.IPPROTO_ICMP || (b.get(q + quotedHeader) & 0xff) != V4_ECHO_REQUEST) return kind;
                quotedDestinationHigh = 0;
                quotedDestinationLow = b.getInt(q + 16) & 0xffffffffL;
                identifier = u16(b, q + quotedHeader + 4);
                sequence = u16(b, q + quotedHeader + 6);
                kind = Kind.ERROR;
            }
            default -> { }
        }
        return kind;
    }

    /** Parses an ICMPv6 message (raw and ping sockets deliver it without the IPv6 header, checksum verified). */
    Kind parseMessage6(ByteBuffer b, int off, int len) {
        kind = Kind.OTHER;
        if (len < ICMP_HEADER) return kind;
        readHeader(b, off);
        switch (type) {
            case V6_ECHO_REPLY -> readEcho(b, off, len);
            case V6_DESTINATION_UNREACHABLE, V6_PACKET_TOO_BIG, V6_TIME_EXCEEDED, V6_PARAMETER_PROBLEM -> {
                // RFC 4443: as much of the invoking packet as fits; our requests carry no extension headers.
                int q = off + ICMP_HEADER;
                if (off + len - q < IPV6_HEADER + ICMP_HEADER || (b.get(q) & 0xf0) != 0x60) return kind;
                if ((b.get(q + 6) & 0xff) != LibC.IPPROTO_ICMPV6 || (b.get(q + IPV6_HEADER) & 0xff) != V6_ECHO_REQUEST) return kind;
                quotedDestinationHigh = b.getLong(q + 24);
                quotedDestinationLow = b.getLong(q + 32);
                identifier = u16(b, q + IPV6_HEADER + 4);
                sequence = u16(b, q + IPV6_HEADER + 6);
                kind = Kind.ERROR;
            }
            default -> { }
        }
        return kind;
    }

    private void readHeader(ByteBuffer b, int off) {
        type = b.get(off) & 0xff;
        code = b.get(off + 1) & 0xff;
        restOfHeader = b.getInt(off + 4);
    }

    private void readEcho(ByteBuffer b, int off, int len) {
        if (code != 0) return;
        identifier = u16(b, off + 4);
        sequence = u16(b, off + 6);
        payloadOffset = off + ICMP_HEADER;
        payloadLength = len - ICMP_HEADER;
        kind = Kind.ECHO_REPLY;
    }

    /** Returns the internet checksum (RFC 1071) of {@code [off, off + len)}: 0 when a message that carries one verifies. */
    static int checksum(ByteBuffer b, int off, int len) {
        long sum = 0;
        int i = off;
        int end = off + len;
        for (; end - i >= 2; i += 2) sum += u16(b, i);
        if (i < end) sum += (b.get(i) & 0xff) << 8;
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    private static int u16(ByteBuffer b, int i) {
        return b.getShort(i) & 0xffff;
    }
}
