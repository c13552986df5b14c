package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.ICMP4_ECHO_REQUEST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP4_PORT_UNREACHABLE;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_ECHO_REQUEST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_PORT_UNREACHABLE;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_DATA;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN_ACK;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_DATA;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_SYN;
import static dev.nstun.stack.wire.CapturedPackets.UDP4;
import static dev.nstun.stack.wire.CapturedPackets.UDP6;
import static dev.nstun.stack.wire.CapturedPackets.V4_CLIENT;
import static dev.nstun.stack.wire.CapturedPackets.V4_SERVER;
import static dev.nstun.stack.wire.CapturedPackets.V6_CLIENT_LOW;
import static dev.nstun.stack.wire.CapturedPackets.V6_PREFIX;
import static dev.nstun.stack.wire.CapturedPackets.V6_SERVER_LOW;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.filled;
import static dev.nstun.stack.wire.CapturedPackets.show;
import static dev.nstun.stack.wire.CapturedPackets.slice;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Each test builds a captured packet from its fields in a buffer of 0xa5 and compares it byte for byte. */
class PacketBuilderTest {

    /** Where in the buffer packets are built, so that absolute offsets are exercised. */
    private static final int AT = 11;
    private static final byte[] PING = "ping\n".getBytes(StandardCharsets.US_ASCII);

    private final PacketBuilder builder = new PacketBuilder();
    private final ByteBuffer buf = filled(2048, true);

    @Test
    void buildsIpv4Syn() {
        int n = builder.ipv4(V4_CLIENT, V4_SERVER).identification(61793)
                .tcp(buf, AT, new TcpFields().sourcePort(40736).destinationPort(8080).seq(seq(1037804125L)).flags(TcpSegment.SYN)
                        .window(64240), new TcpOptions(1460, 10, true, true, 580043848, 0));
        assertBuilt(TCP4_SYN, n);
    }

    @Test
    void buildsIpv4SynAck() {
        int n = builder.ipv4(V4_SERVER, V4_CLIENT).identification(0)
                .tcp(buf, AT, new TcpFields().sourcePort(8080).destinationPort(40736).seq(seq(4231213851L)).ack(seq(1037804126L))
                        .flags(TcpSegment.SYN | TcpSegment.ACK).window(65160), new TcpOptions(1460, 10, true, true, 1666587282, 580043848));
        assertBuilt(TCP4_SYN_ACK, n);
    }

    @Test
    void buildsIpv4DataSegmentAroundPayloadInPlace() {
        builder.ipv4(V4_CLIENT, V4_SERVER).identification(61795);
        int options = TcpOptions.emitTimestamps(buf, AT + builder.tcpOptionsOffset(), 580043849, 1666587282);
        buf.put(AT + builder.tcpPayloadOffset(options), PING);
        int n = builder.tcp(buf, AT, new TcpFields().sourcePort(40736).destinationPort(8080).seq(seq(1037804126L)).ack(seq(4231213852L))
                .flags(TcpSegment.PSH | TcpSegment.ACK).window(63).optionsLength(options).payloadLength(PING.length));
        assertBuilt(TCP4_DATA, n);
    }

    @Test
    void buildsIpv6SynAndDataSegment() {
        builder.ipv6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW).flowLabel(0x459c9);
        int n = builder.tcp(buf, AT, new TcpFields().sourcePort(47084).destinationPort(8080).seq(seq(3984679181L)).flags(TcpSegment.SYN)
                .window(64800), new TcpOptions(1440, 10, true, true, 1907536420, 0));
        assertBuilt(TCP6_SYN, n);

        int options = TcpOptions.emitTimestamps(buf, AT + builder.tcpOptionsOffset(), 1907536420, 907018307);
        buf.put(AT + builder.tcpPayloadOffset(options), PING);
        n = builder.tcp(buf, AT, new TcpFields().sourcePort(47084).destinationPort(8080).seq(seq(3984679182L)).ack(seq(4128835270L))
                .flags(TcpSegment.PSH | TcpSegment.ACK).window(64).optionsLength(options).payloadLength(PING.length));
        assertBuilt(TCP6_DATA, n);
    }

    @Test
    void buildsUdpForBothFamilies() {
        byte[] payload = "nstun-udp\n".getBytes(StandardCharsets.US_ASCII);
        builder.ipv4(V4_CLIENT, V4_SERVER).identification(23382);
        buf.put(AT + builder.udpPayloadOffset(), payload);
        assertBuilt(UDP4, builder.udp(buf, AT, 34055, 5353, payload.length));

        builder.ipv6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW).flowLabel(0xe25a0);
        buf.put(AT + builder.udpPayloadOffset(), payload);
        assertBuilt(UDP6, builder.udp(buf, AT, 42201, 5353, payload.length));
    }

    @Test
    void buildsEchoRequestsForBothFamilies() {
        builder.ipv4(V4_CLIENT, V4_SERVER).identification(38692);
        buf.put(AT + builder.icmpPayloadOffset(), ICMP4_ECHO_REQUEST, 28, 56);
        assertBuilt(ICMP4_ECHO_REQUEST, builder.icmpEcho(buf, AT, true, 5469, 1, 56));

        builder.ipv6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW).flowLabel(0xa0431);
        buf.put(AT + builder.icmpPayloadOffset(), ICMP6_ECHO_REQUEST, 48, 56);
        assertBuilt(ICMP6_ECHO_REQUEST, builder.icmpEcho(buf, AT, true, 5470, 1, 56));
    }

    @Test
    void buildsPortUnreachableQuotingTheOffendingPacket() {
        Ipv4Packet quoted4 = new Ipv4Packet();
        assertNull(quoted4.wrapChecked(wrap(slice(ICMP4_PORT_UNREACHABLE, 28, 63)), 0, 35));
        int n = builder.replyTo(quoted4).trafficClass(0xc0).dontFragment(false).identification(33762)
                .portUnreachable(buf, AT, quoted4);
        assertBuilt(ICMP4_PORT_UNREACHABLE, n);

        Ipv6Packet quoted6 = new Ipv6Packet();
        assertNull(quoted6.wrapChecked(wrap(slice(ICMP6_PORT_UNREACHABLE, 48, 103)), 0, 55));
        n = builder.replyTo(quoted6).trafficClass(0).flowLabel(0x621eb).portUnreachable(buf, AT, quoted6);
        assertBuilt(ICMP6_PORT_UNREACHABLE, n);
    }

    @Test
    void quotesNoMoreThanTheErrorSizeLimit() {
        ByteBuffer big = filled(1500, false);
        builder.ipv4(V4_SERVER, V4_CLIENT);
        assertEquals(576, builder.icmpError(buf, 0, IcmpV4Message.TYPE_TIME_EXCEEDED, 0, 0, big, 0, 1500));
        assertTrue(Checksum.verifyIcmpV4(IcmpV4Message.unchecked(buf, 20, 556)));
        builder.ipv6(V6_PREFIX, V6_SERVER_LOW, V6_PREFIX, V6_CLIENT_LOW);
        assertEquals(1280, builder.icmpError(buf, 0, IcmpV6Message.TYPE_PACKET_TOO_BIG, 0, 1280, big, 0, 1500));
        Ipv6Packet ip = Ipv6Packet.unchecked(buf, 0, 1280);
        IcmpV6Message icmp = IcmpV6Message.unchecked(buf, 40, 1240);
        assertEquals(1280, icmp.mtu());
        assertTrue(Checksum.verifyIcmpV6(ip, icmp));
    }

    @Test
    void buildsWhatTheCheckedViewsAccept() {
        builder.ipv4(V4_SERVER, V4_CLIENT);
        for (int code : new int[] {0, 1}) {
            int n = code == 0 ? builder.adminProhibited(buf, 0, Ipv4Packet.unchecked(wrap(UDP4), 0, UDP4.length))
                    : builder.hostUnreachable(buf, 0, Ipv4Packet.unchecked(wrap(UDP4), 0, UDP4.length));
            Ipv4Packet ip = new Ipv4Packet();
            assertNull(ip.wrapChecked(buf, 0, n));
            assertTrue(Checksum.verifyIpv4Header(ip));
            IcmpV4Message icmp = new IcmpV4Message();
            assertNull(icmp.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()));
            assertEquals(code == 0 ? IcmpV4Message.CODE_ADMIN_PROHIBITED : IcmpV4Message.CODE_HOST_UNREACHABLE, icmp.code());
            assertTrue(Checksum.verifyIcmpV4(icmp));
        }
        builder.ipv6(V6_PREFIX, V6_SERVER_LOW, V6_PREFIX, V6_CLIENT_LOW);
        int n = builder.tcp(buf, 0, new TcpFields().sourcePort(8080).destinationPort(47084).seq(1).ack(2).flags(TcpSegment.RST | TcpSegment.ACK),
                TcpOptions.NONE);
        Ipv6Packet ip = new Ipv6Packet();
        assertNull(ip.wrapChecked(buf, 0, n));
        TcpSegment rst = new TcpSegment();
        assertNull(rst.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()));
        assertTrue(rst.rst() && rst.ack());
        assertEquals(60, n);
        assertTrue(Checksum.verifyTcp(ip, rst));
    }

    @Test
    void partialTcpChecksumIsThePseudoHeaderSumThatSummingTheSegmentFinishes() {
        for (boolean v6 : new boolean[] {false, true}) {
            byte[] want = v6 ? TCP6_DATA : TCP4_DATA;
            builder.partialChecksums(true);
            if (v6) builder.ipv6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW).flowLabel(0x459c9);
            else builder.ipv4(V4_CLIENT, V4_SERVER).identification(61795);
            int options = TcpOptions.emitTimestamps(buf, AT + builder.tcpOptionsOffset(),
                    v6 ? 1907536420 : 580043849, v6 ? 907018307 : 1666587282);
            buf.put(AT + builder.tcpPayloadOffset(options), PING);
            int n = builder.tcp(buf, AT, new TcpFields().sourcePort(v6 ? 47084 : 40736).destinationPort(8080)
                    .seq(seq(v6 ? 3984679182L : 1037804126L)).ack(seq(v6 ? 4128835270L : 4231213852L))
                    .flags(TcpSegment.PSH | TcpSegment.ACK).window(v6 ? 64 : 63).optionsLength(options).payloadLength(PING.length));
            builder.partialChecksums(false);

            // What the kernel does with NEEDS_CSUM (skb_checksum_help): sum from the TCP header on, field included.
            int tcpAt = AT + builder.ipHeaderLength();
            int field = Short.toUnsignedInt(buf.getShort(tcpAt + 16));
            IpPacket ip = v6 ? new Ipv6Packet().wrap(buf, AT, n) : new Ipv4Packet().wrap(buf, AT, n);
            assertEquals(ip.pseudoHeaderSum(IpProtocol.TCP, n - builder.ipHeaderLength()), field, "checksum field: the pseudo-header sum");
            buf.putShort(tcpAt + 16, (short) Checksum.finish(Checksum.sum(buf, tcpAt, n - builder.ipHeaderLength())));
            assertBuilt(want, n);
        }
    }

    @Test
    void partialUdpChecksumIsThePseudoHeaderSumThatSummingTheDatagramFinishes() {
        for (boolean v6 : new boolean[] {false, true}) {
            if (v6) builder.ipv6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW);
            else builder.ipv4(V4_CLIENT, V4_SERVER);
            buf.put(AT + builder.udpPayloadOffset(), PING);
            int whole = builder.udp(buf, AT, 40736, 53, PING.length);
            int wholeChecksum = Short.toUnsignedInt(buf.getShort(AT + builder.ipHeaderLength() + 6));

            builder.partialChecksums(true);
            int n = builder.udp(buf, AT, 40736, 53, PING.length);
            builder.partialChecksums(false);

            assertEquals(whole, n);
            int udpAt = AT + builder.ipHeaderLength();
            IpPacket ip = v6 ? new Ipv6Packet().wrap(buf, AT, n) : new Ipv4Packet().wrap(buf, AT, n);
            assertEquals(ip.pseudoHeaderSum(IpProtocol.UDP, n - builder.ipHeaderLength()), Short.toUnsignedInt(buf.getShort(udpAt + 6)),
                    "checksum field: the pseudo-header sum");
            // What the kernel does with NEEDS_CSUM: sum from the UDP header on, field included.
            int finished = Checksum.finish(Checksum.sum(buf, udpAt, n - builder.ipHeaderLength()));
            assertEquals(wholeChecksum, finished == 0 ? 0xffff : finished);
        }
    }

    private void assertBuilt(byte[] want, int length) {
        assertEquals(want.length, length, "length");
        assertArrayEquals(want, bytes(buf, AT, length), () -> "got  " + show(bytes(buf, AT, length)) + "\nwant " + show(want));
        assertEquals((byte) 0xa5, buf.get(AT - 1), "nothing written before the packet");
        assertEquals((byte) 0xa5, buf.get(AT + length), "nothing written after the packet");
        for (int i = 0; i < buf.capacity(); i++) buf.put(i, (byte) 0xa5);
    }

    private static int seq(long unsigned) {
        return SeqNumber.of(unsigned).value();
    }
}
