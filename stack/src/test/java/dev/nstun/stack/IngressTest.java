package dev.nstun.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.CapturedPackets;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.IcmpV6Message;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.TcpSegment;
import dev.nstun.stack.wire.UdpDatagram;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The stack's first look at a packet: captured TCP, UDP and ICMP packets of both families, readdressed
 * to every kind of source and destination a command with raw sockets could write on the TUN.
 */
class IngressTest {
    private static final String ROUTER4 = "198.18.0.2";
    private static final String ROUTER6 = "fd4e:5354:554e::2";
    private static final String COMMAND4 = "198.18.0.1";
    private static final String COMMAND6 = "fd4e:5354:554e::1";

    private final ByteBuffer out = ByteBuffer.allocate(65535);
    private final List<byte[]> sent = new ArrayList<>();
    private final StackCounters counters = new StackCounters();
    private final PacketOutput output = new PacketOutput() {
        @Override
        public ByteBuffer buffer() {
            return out;
        }

        @Override
        public void send(int length) {
            byte[] p = new byte[length];
            out.get(0, p);
            sent.add(p);
        }
    };
    private Ingress ingress = new Ingress(output, counters, List.of(address(ROUTER4), address(ROUTER6)));

    @ParameterizedTest(name = "from {0}, {1}")
    @CsvSource({
            "0.0.0.0, TCP", "0.0.0.0, UDP", "0.0.0.0, ICMP",
            "127.0.0.1, TCP", "127.0.0.1, UDP", "127.0.0.1, ICMP", "127.9.9.9, TCP",
            "224.0.0.251, TCP", "224.0.0.251, UDP", "224.0.0.251, ICMP",
            "255.255.255.255, TCP", "255.255.255.255, UDP", "255.255.255.255, ICMP", "240.0.0.1, UDP",
            "::, TCP", "::, UDP", "::, ICMP",
            "::1, TCP", "::1, UDP", "::1, ICMP",
            "ff02::1, TCP", "ff02::1, UDP", "ff02::1, ICMP",
            "::ffff:127.0.0.1, TCP", "::ffff:127.0.0.1, UDP", "::ffff:198.18.0.1, ICMP", "::7f00:1, TCP",
    })
    void martianSourceIsDroppedSilently(String source, String protocol) {
        boolean v6 = source.contains(":");
        IpPacket ip = packet(protocol, v6, source, v6 ? "2001:db8::7" : "192.0.2.7");
        assertFalse(ingress.admit(ip), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertEquals(Map.of("MARTIAN_SOURCE", 1L), counters.snapshot());
    }

    @ParameterizedTest(name = "to {0}, {1}")
    @CsvSource({
            "127.0.0.1, TCP", "127.0.0.1, UDP", "127.255.0.1, TCP", "0.0.0.0, TCP", "0.0.0.0, UDP", "0.1.2.3, UDP",
            "240.0.0.1, TCP", "255.255.255.254, UDP",
            "::1, TCP", "::1, UDP", "::, TCP", "::, UDP", "::ffff:127.0.0.1, TCP", "::ffff:127.0.0.1, UDP",
            "::ffff:8.8.8.8, TCP", "::7f00:1, UDP", "fe80::1, TCP", "fe80::1, UDP",
    })
    void unroutableDestinationIsAnsweredNetworkUnreachable(String destination, String protocol) {
        boolean v6 = destination.contains(":");
        IpPacket ip = packet(protocol, v6, v6 ? COMMAND6 : COMMAND4, destination);
        byte[] quoted = bytes(ip);
        assertFalse(ingress.admit(ip), "admitted");
        assertEquals(Map.of("UNROUTABLE_DESTINATION", 1L), counters.snapshot());
        assertEquals(1, sent.size(), "answers");
        assertNetworkUnreachable(sent.get(0), v6, quoted);
    }

    @ParameterizedTest(name = "to {0}")
    @CsvSource({"127.0.0.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", "fe80::1"})
    void unroutableEchoRequestGetsNoAnswer(String destination) {
        boolean v6 = destination.contains(":");
        assertFalse(ingress.admit(packet("ICMP", v6, v6 ? COMMAND6 : COMMAND4, destination)), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertEquals(Map.of("UNROUTABLE_DESTINATION", 1L), counters.snapshot());
    }

    @ParameterizedTest(name = "to {0}, {1}")
    @CsvSource({
            "224.0.0.251, UDP", "239.255.255.250, UDP", "224.0.0.1, ICMP", "255.255.255.255, UDP", "255.255.255.255, TCP",
            "ff02::fb, UDP", "ff05::1:3, UDP", "ff02::1, ICMP", "ff02::2, TCP",
    })
    void groupDestinationIsDroppedSilently(String destination, String protocol) {
        boolean v6 = destination.contains(":");
        assertFalse(ingress.admit(packet(protocol, v6, v6 ? COMMAND6 : COMMAND4, destination)), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertEquals(Map.of("GROUP_DESTINATION", 1L), counters.snapshot());
    }

    @ParameterizedTest(name = "{1} > {2}, {0}")
    @CsvSource({
            "TCP, 198.18.0.1, 192.0.2.7", "UDP, 198.18.0.1, 198.18.0.2", "ICMP, 198.18.0.1, 169.254.169.254",
            "TCP, fd4e:5354:554e::1, 2001:db8::7", "UDP, fe80::1, fd4e:5354:554e::2", "ICMP, fe80::1, 2001:db8::7",
    })
    void ordinaryAddressesGoOn(String protocol, String source, String destination) {
        assertTrue(ingress.admit(packet(protocol, source.contains(":"), source, destination)), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertEquals(Map.of(), counters.snapshot());
    }

    /** The rest of a datagram is dropped with its first fragment: only an unfragmented packet is answered. */
    @Test
    void fragmentToLoopbackIsDroppedSilently() {
        IpPacket ip = packet("UDP", false, COMMAND4, "127.0.0.1");
        ((Ipv4Packet) ip).setFlagsAndFragmentOffset(false, true, 0);
        Checksum.fillIpv4Header((Ipv4Packet) ip);
        assertTrue(ip.isFragment());
        assertFalse(ingress.admit(ip), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertEquals(Map.of("UNROUTABLE_DESTINATION", 1L), counters.snapshot());
    }

    /** An error from 127.0.0.1 would be a martian to the command's kernel: without an address of nstun's own, silence. */
    @Test
    void withoutOwnAddressOfTheFamilyNothingIsAnswered() {
        ingress = new Ingress(output, counters, List.of(address(ROUTER6)));
        assertFalse(ingress.admit(packet("TCP", false, COMMAND4, "127.0.0.1")), "admitted");
        assertEquals(List.of(), sent, "answers");
        assertFalse(ingress.admit(packet("TCP", true, COMMAND6, "::1")), "admitted");
        assertEquals(1, sent.size(), "answers");
        assertEquals(Map.of("UNROUTABLE_DESTINATION", 2L), counters.snapshot());
    }

    /** Checks the answer field by field: from nstun's address to the command, type and code, checksums, the packet quoted whole. */
    private static void assertNetworkUnreachable(byte[] answer, boolean v6, byte[] quoted) {
        ByteBuffer buf = ByteBuffer.wrap(answer);
        if (v6) {
            Ipv6Packet ip = new Ipv6Packet();
            assertNull(ip.wrapChecked(buf, 0, answer.length), "IPv6 header");
            assertEquals(address(ROUTER6), ip.sourceAddress(), "source");
            assertEquals(address(COMMAND6), ip.destinationAddress(), "destination");
            assertEquals(IpProtocol.ICMPV6, ip.protocol(), "next header");
            IcmpV6Message icmp = new IcmpV6Message();
            assertNull(icmp.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()), "ICMPv6 header");
            assertTrue(Checksum.verifyIcmpV6(ip, icmp), "ICMPv6 checksum");
            assertEquals(IcmpV6Message.TYPE_DESTINATION_UNREACHABLE + "/" + IcmpV6Message.CODE_NO_ROUTE, icmp.type() + "/" + icmp.code(), "type/code");
            assertArrayEquals(quoted, slice(answer, icmp.payloadOffset(), answer.length), "quoted packet");
        } else {
            Ipv4Packet ip = new Ipv4Packet();
            assertNull(ip.wrapChecked(buf, 0, answer.length), "IPv4 header");
            assertTrue(Checksum.verifyIpv4Header(ip), "IPv4 header checksum");
            assertEquals(address(ROUTER4), ip.sourceAddress(), "source");
            assertEquals(address(COMMAND4), ip.destinationAddress(), "destination");
            assertEquals(IpProtocol.ICMP, ip.protocol(), "protocol");
            IcmpV4Message icmp = new IcmpV4Message();
            assertNull(icmp.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()), "ICMP header");
            assertTrue(Checksum.verifyIcmpV4(icmp), "ICMP checksum");
            assertEquals(IcmpV4Message.TYPE_DESTINATION_UNREACHABLE + "/" + IcmpV4Message.CODE_NET_UNREACHABLE, icmp.type() + "/" + icmp.code(), "type/code");
            assertArrayEquals(quoted, slice(answer, icmp.payloadOffset(), answer.length), "quoted packet");
        }
    }

    /** Returns a captured packet of {@code protocol} readdressed from {@code source} to {@code destination}, every checksum right. */
    private static IpPacket packet(String protocol, boolean v6, String source, String destination) {
        byte[] captured = switch (protocol) {
            case "TCP" -> v6 ? CapturedPackets.TCP6_SYN : CapturedPackets.TCP4_SYN;
            case "UDP" -> v6 ? CapturedPackets.UDP6 : CapturedPackets.UDP4;
            case "ICMP" -> v6 ? CapturedPackets.ICMP6_ECHO_REQUEST : CapturedPackets.ICMP4_ECHO_REQUEST;
            default -> throw new IllegalArgumentException(protocol);
        };
        ByteBuffer buf = ByteBuffer.wrap(captured.clone());
        IpPacket ip;
        if (v6) {
            Ipv6Packet p = Ipv6Packet.unchecked(buf, 0, captured.length);
            Inet6Address from = v6Address(source);
            Inet6Address to = v6Address(destination);
            p.setSource(Ipv6Packet.high(from), Ipv6Packet.low(from));
            p.setDestination(Ipv6Packet.high(to), Ipv6Packet.low(to));
            ip = p;
        } else {
            Ipv4Packet p = Ipv4Packet.unchecked(buf, 0, captured.length);
            p.setSource(Ipv4Packet.toInt((Inet4Address) address(source)));
            p.setDestination(Ipv4Packet.toInt((Inet4Address) address(destination)));
            Checksum.fillIpv4Header(p);
            ip = p;
        }
        switch (protocol) {
            case "TCP" -> Checksum.fillTcp(ip, TcpSegment.unchecked(buf, ip.payloadOffset(), ip.payloadLength()));
            case "UDP" -> Checksum.fillUdp(ip, UdpDatagram.unchecked(buf, ip.payloadOffset(), ip.payloadLength()));
            default -> {
                if (ip instanceof Ipv6Packet p) {
                    Checksum.fillIcmpV6(p, new IcmpV6Message().wrap(buf, ip.payloadOffset(), ip.payloadLength()));
                } else {
                    Checksum.fillIcmpV4(new IcmpV4Message().wrap(buf, ip.payloadOffset(), ip.payloadLength()));
                }
            }
        }
        return ip;
    }

    /** Returns the IPv6 address of a literal as written, an IPv4-mapped one included (the JDK would make it IPv4). */
    private static Inet6Address v6Address(String literal) {
        try {
            byte[] b = InetAddress.getByName(literal).getAddress();
            if (b.length == 4) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(b, 0, mapped, 12, 4);
                b = mapped;
            }
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private static byte[] bytes(IpPacket ip) {
        return slice(ip.buffer().array(), ip.offset(), ip.offset() + ip.length());
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
