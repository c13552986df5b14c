package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/**
 * The internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit
 * words, with its incremental update (RFC 1624) and the pseudo headers of IPv4 (RFC 9293 §3.1) and
 * IPv6 (RFC 8200 §8.1).
 *
 * <p>A <em>sum</em> here is a folded 16-bit one's complement sum, 0 to 0xffff, not yet complemented;
 * sums of ranges that start at even distances from the start of what they cover add up with
 * {@link #add}. A <em>checksum</em> is {@link #finish}ed: complemented, ready for the header.
 *
 * <p>{@link #sum} reads 8 bytes at a time and adds their two 32-bit halves into 64-bit
 * accumulators, so no carry is lost until the end. The one's complement sum does not care about
 * byte order (RFC 1071 §2(B)): it reads in whatever order the buffer is set to and swaps the two
 * bytes of the folded result once if that was little-endian.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Returns the sum of {@code len} bytes at absolute offset {@code off} of {@code buf}, added to the sum {@code initial}. */
    public static int sum(ByteBuffer buf, int off, int len, int initial) {
        long a0 = 0;
        long a1 = 0;
        long a2 = 0;
        long a3 = 0;
        int i = off;
        int end = off + len;
        // Four accumulators let the adds of one 32-byte block run side by side. Each gains less than
        // 2^33 per block: even 2 GiB cannot overflow their sum.
        for (; end - i >= 32; i += 32) {
            long w0 = buf.getLong(i);
            long w1 = buf.getLong(i + 8);
            long w2 = buf.getLong(i + 16);
            long w3 = buf.getLong(i + 24);
            a0 += (w0 >>> 32) + (w0 & 0xffffffffL);
            a1 += (w1 >>> 32) + (w1 & 0xffffffffL);
            a2 += (w2 >>> 32) + (w2 & 0xffffffffL);
            a3 += (w3 >>> 32) + (w3 & 0xffffffffL);
        }
        for (; end - i >= 8; i += 8) {
            long w = buf.getLong(i);
            a0 += (w >>> 32) + (w & 0xffffffffL);
        }
        int s = fold(a0 + a1 + a2 + a3);
        if (!Bytes.networkOrder(buf)) s = Short.reverseBytes((short) s) & 0xffff;
        int tail = 0;
        if (end - i >= 4) {
            tail += Bytes.u16(buf, i) + Bytes.u16(buf, i + 2);
            i += 4;
        }
        if (end - i >= 2) {
            tail += Bytes.u16(buf, i);
            i += 2;
        }
        if (i < end) tail += Bytes.u8(buf, i) << 8;
        return fold((long) s + tail + initial);
    }

    /** Returns the sum of {@code len} bytes at absolute offset {@code off} of {@code buf}. */
    public static int sum(ByteBuffer buf, int off, int len) {
        return sum(buf, off, len, 0);
    }

    /** Returns the one's complement sum of two sums. */
    public static int add(int a, int b) {
        return fold((long) a + b);
    }

    /** Folds a non-negative sum of 16-bit words, carries and all, into 16 bits. */
    public static int fold(long sum) {
        long s = (sum >>> 32) + (sum & 0xffffffffL);
        s = (s >>> 16) + (s & 0xffff);
        s = (s >>> 16) + (s & 0xffff);
        return (int) ((s >>> 16) + (s & 0xffff));
    }

    /** Returns the checksum a header carries for {@code sum}: its one's complement. */
    public static int finish(int sum) {
        return ~sum & 0xffff;
    }

    /** Returns the sum of the IPv4 pseudo header: source, destination, protocol, upper-layer length. */
    public static int pseudoHeaderV4(int source, int destination, int protocol, int length) {
        return fold((source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff)
                + (long) protocol + length);
    }

    /** Returns the sum of the IPv6 pseudo header: source, destination (as upper and lower 64 bits), upper-layer length, next header. */
    public static int pseudoHeaderV6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow,
                                     int nextHeader, int length) {
        long s = (sourceHigh >>> 32) + (sourceHigh & 0xffffffffL) + (sourceLow >>> 32) + (sourceLow & 0xffffffffL)
                + (destinationHigh >>> 32) + (destinationHigh & 0xffffffffL)
                + (destinationLow >>> 32) + (destinationLow & 0xffffffffL)
                + Integer.toUnsignedLong(length) + nextHeader;
        return fold(s);
    }

    /**
     * Returns {@code checksum} updated for a 16-bit field of the covered data changing from
     * {@code oldValue} to {@code newValue}, without summing the data again (RFC 1624 eqn. 3:
     * HC' = ~(~HC + ~m + m')).
     */
    public static int update16(int checksum, int oldValue, int newValue) {
        return finish(fold((~checksum & 0xffff) + (~oldValue & 0xffff) + (long) (newValue & 0xffff)));
    }

    /** Returns {@code checksum} updated for a 32-bit field (an IPv4 address, a sequence number) changing. */
    public static int update32(int checksum, int oldValue, int newValue) {
        return update16(update16(checksum, oldValue >>> 16, newValue >>> 16), oldValue & 0xffff, newValue & 0xffff);
    }

    /** Computes the IPv4 header checksum and writes it into the header. */
    public static void fillIpv4Header(Ipv4Packet ip) {
        ip.setHeaderChecksum(0);
        ip.setHeaderChecksum(finish(sum(ip.buffer(), ip.offset(), ip.headerLength())));
    }

    /** Returns whether the IPv4 header checksum verifies. */
    public static boolean verifyIpv4Header(Ipv4Packet ip) {
        return sum(ip.buffer(), ip.offset(), ip.headerLength()) == 0xffff;
    }

    /** Computes the TCP checksum (pseudo header of {@code ip} included) and writes it into the segment. */
    public static void fillTcp(IpPacket ip, TcpSegment tcp) {
        tcp.setChecksum(0);
        tcp.setChecksum(finish(sum(tcp.buffer(), tcp.offset(), tcp.length(),
                ip.pseudoHeaderSum(IpProtocol.TCP, tcp.length()))));
    }

    /** Returns whether the TCP checksum verifies. */
    public static boolean verifyTcp(IpPacket ip, TcpSegment tcp) {
        return sum(tcp.buffer(), tcp.offset(), tcp.length(), ip.pseudoHeaderSum(IpProtocol.TCP, tcp.length())) == 0xffff;
    }

    /** Computes the UDP checksum and writes it into the datagram (a computed 0 goes out as 0xffff, RFC 768). */
    public static void fillUdp(IpPacket ip, UdpDatagram udp) {
        udp.setChecksum(0);
        int checksum = finish(sum(udp.buffer(), udp.offset(), udp.length(),
                ip.pseudoHeaderSum(IpProtocol.UDP, udp.length())));
        udp.setChecksum(checksum == 0 ? 0xffff : checksum);
    }

    /**
     * Returns whether the UDP checksum verifies. Over IPv4 a zero checksum means none was computed and
     * passes; over IPv6 the checksum is mandatory (RFC 8200 §8.1) and zero fails.
     */
    public static boolean verifyUdp(IpPacket ip, UdpDatagram udp) {
        if (udp.checksum() == 0) return ip.version() == 4;
        return sum(udp.buffer(), udp.offset(), udp.length(), ip.pseudoHeaderSum(IpProtocol.UDP, udp.length())) == 0xffff;
    }

    /** Computes the ICMP checksum (no pseudo header for IPv4) and writes it into the message. */
    public static void fillIcmpV4(IcmpV4Message icmp) {
        icmp.setChecksum(0);
        icmp.setChecksum(finish(sum(icmp.buffer(), icmp.offset(), icmp.length())));
    }

    /** Returns whether the ICMP checksum verifies. */
    public static boolean verifyIcmpV4(IcmpV4Message icmp) {
        return sum(icmp.buffer(), icmp.offset(), icmp.length()) == 0xffff;
    }

    /** Computes the ICMPv6 checksum (IPv6 pseudo header included, RFC 4443 §2.3) and writes it into the message. */
    public static void fillIcmpV6(Ipv6Packet ip, IcmpV6Message icmp) {
        icmp.setChecksum(0);
        icmp.setChecksum(finish(sum(icmp.buffer(), icmp.offset(), icmp.length(),
                ip.pseudoHeaderSum(IpProtocol.ICMPV6, icmp.length()))));
    }

    /** Returns whether the ICMPv6 checksum verifies. */
    public static boolean verifyIcmpV6(Ipv6Packet ip, IcmpV6Message icmp) {
        return sum(icmp.buffer(), icmp.offset(), icmp.length(), ip.pseudoHeaderSum(IpProtocol.ICMPV6, icmp.length())) == 0xffff;
    }
}
