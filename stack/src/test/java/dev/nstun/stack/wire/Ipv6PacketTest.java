package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.ICMP6_FRAGMENT_LAST;
import static dev.nstun.stack.wire.CapturedPackets.MLD2_REPORT_HOP_BY_HOP;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_SYN;
import static dev.nstun.stack.wire.CapturedPackets.UDP6_HOP_BY_HOP_DESTINATION_OPTIONS;
import static dev.nstun.stack.wire.CapturedPackets.V6_CLIENT_LOW;
import static dev.nstun.stack.wire.CapturedPackets.V6_PREFIX;
import static dev.nstun.stack.wire.CapturedPackets.V6_SERVER_LOW;
import static dev.nstun.stack.wire.CapturedPackets.at;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.filled;
import static dev.nstun.stack.wire.CapturedPackets.hex;
import static dev.nstun.stack.wire.CapturedPackets.show;
import static dev.nstun.stack.wire.CapturedPackets.slice;
import static dev.nstun.stack.wire.CapturedPackets.with;
import static dev.nstun.stack.wire.CapturedPackets.with16;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class Ipv6PacketTest {

    /** A UDP header and 4 bytes of payload to end the synthetic chains below (checksum not meant to verify). */
    private static final String UDP_TAIL = "e9d4 14ea 000c 0000 6578 740a";

    @Test
    void deconstructsCapturedSyn() throws Exception {
        ByteBuffer buf = at(TCP6_SYN, 5, true);
        Ipv6Packet ip = new Ipv6Packet();
        assertNull(ip.wrapChecked(buf, 5, TCP6_SYN.length));
        assertEquals(6, ip.version());
        assertEquals(0, ip.trafficClass());
        assertEquals(0x459c9, ip.flowLabel());
        assertEquals(40, ip.payloadLengthField());
        assertEquals(IpProtocol.TCP, ip.nextHeader());
        assertEquals(64, ip.hopLimit());
        assertEquals(V6_PREFIX, ip.sourceHigh());
        assertEquals(V6_CLIENT_LOW, ip.sourceLow());
        assertEquals(V6_PREFIX, ip.destinationHigh());
        assertEquals(V6_SERVER_LOW, ip.destinationLow());
        assertEquals(InetAddress.getByName("fd00:6e73::1"), ip.sourceAddress());
        assertEquals(InetAddress.getByName("fd00:6e73::2"), ip.destinationAddress());
        assertEquals(IpProtocol.TCP, ip.protocol());
        assertEquals(5 + 40, ip.payloadOffset());
        assertEquals(40, ip.payloadLength());
        assertEquals(0, ip.extensionHeadersLength());
        assertFalse(ip.isFragment());
        assertEquals(80, ip.length());
    }

    @Test
    void constructsCapturedSynHeader() {
        ByteBuffer buf = filled(40, false);
        Ipv6Packet ip = Ipv6Packet.unchecked(buf, 0, 40);
        ip.setVersionClassFlow(0, 0x459c9);
        ip.setPayloadLength(40);
        ip.setNextHeader(IpProtocol.TCP);
        ip.setHopLimit(64);
        ip.setSource(V6_PREFIX, V6_CLIENT_LOW);
        ip.setDestination(V6_PREFIX, V6_SERVER_LOW);
        assertArrayEquals(slice(TCP6_SYN, 0, 40), bytes(buf, 0, 40), () -> show(bytes(buf, 0, 40)));
    }

    @Test
    void addressHalvesRoundTrip() throws Exception {
        Inet6Address address = (Inet6Address) InetAddress.getByName("2001:db8:1:2:3:4:5:6");
        assertEquals(address, Ipv6Packet.address(Ipv6Packet.high(address), Ipv6Packet.low(address)));
        assertEquals(0x20010db800010002L, Ipv6Packet.high(address));
        assertEquals(0x0003000400050006L, Ipv6Packet.low(address));
    }

    @Test
    void refusesEveryTruncation() {
        for (int len = 0; len < TCP6_SYN.length; len++) {
            DropReason want = len < 40 ? DropReason.TRUNCATED : DropReason.IPV6_BAD_PAYLOAD_LENGTH;
            assertEquals(want, check(slice(TCP6_SYN, 0, len)), "length " + len);
        }
    }

    @Test
    void refusesWrongVersion() {
        assertEquals(DropReason.IP_BAD_VERSION, check(with(TCP6_SYN, 0, 0x45)));
    }

    @Test
    void narrowsTheViewToThePayloadLength() {
        byte[] p = with16(TCP6_SYN, 4, 20);
        Ipv6Packet ip = new Ipv6Packet();
        assertNull(ip.wrapChecked(wrap(p), 0, p.length));
        assertEquals(60, ip.length());
        assertEquals(20, ip.payloadLength());
    }

    @Nested
    class ExtensionHeaders {

        @Test
        void walksCapturedHopByHopAndDestinationOptions() {
            byte[] p = UDP6_HOP_BY_HOP_DESTINATION_OPTIONS;
            Ipv6Packet ip = new Ipv6Packet();
            assertNull(ip.wrapChecked(wrap(p), 0, p.length));
            assertEquals(IpProtocol.HOP_BY_HOP, ip.nextHeader());
            assertEquals(IpProtocol.UDP, ip.protocol());
            assertEquals(16, ip.extensionHeadersLength());
            assertEquals(56, ip.payloadOffset());
            assertEquals(12, ip.payloadLength());
            UdpDatagram udp = new UdpDatagram();
            assertNull(udp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(5354, udp.destinationPort());
            assertTrue(Checksum.verifyUdp(ip, udp), "the pseudo header counts the upper layer only");
        }

        @Test
        void walksCapturedRouterAlert() {
            byte[] p = MLD2_REPORT_HOP_BY_HOP;
            Ipv6Packet ip = new Ipv6Packet();
            assertNull(ip.wrapChecked(wrap(p), 0, p.length));
            assertEquals(IpProtocol.ICMPV6, ip.protocol());
            assertEquals(48, ip.payloadOffset());
            IcmpV6Message icmp = new IcmpV6Message();
            assertNull(icmp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(143, icmp.type());
            assertTrue(Checksum.verifyIcmpV6(ip, icmp));
        }

        @Test
        void reportsCapturedFragment() {
            byte[] p = ICMP6_FRAGMENT_LAST;
            Ipv6Packet ip = new Ipv6Packet();
            assertNull(ip.wrapChecked(wrap(p), 0, p.length));
            assertTrue(ip.isFragment());
            assertEquals(IpProtocol.ICMPV6, ip.protocol());
            assertEquals(1232, ip.fragmentOffset());
            assertFalse(ip.moreFragments());
            assertEquals(0xba1e6ba3, ip.fragmentIdentification());
            assertEquals(48, ip.payloadOffset());
            assertEquals(176, ip.payloadLength());
        }

        @Test
        void passesAtomicFragment() {
            Ipv6Packet ip = accepted(IpProtocol.IPV6_FRAGMENT, "1100 0000 1234 5678" + UDP_TAIL);
            assertFalse(ip.isFragment(), "offset 0 without M is a whole datagram (RFC 6946)");
            assertEquals(IpProtocol.UDP, ip.protocol());
            assertEquals(48, ip.payloadOffset());
        }

        @Test
        void passesAtomicFragmentWithReservedBitsSet() {
            assertFalse(accepted(IpProtocol.IPV6_FRAGMENT, "1100 0006 1234 5678" + UDP_TAIL).isFragment());
        }

        @Test
        void reportsFirstFragment() {
            Ipv6Packet ip = accepted(IpProtocol.IPV6_FRAGMENT, "1100 0001 1234 5678" + UDP_TAIL);
            assertTrue(ip.isFragment());
            assertTrue(ip.moreFragments());
            assertEquals(0, ip.fragmentOffset());
            assertEquals(IpProtocol.UDP, ip.protocol());
        }

        @Test
        void skipsRoutingHeaderWithNoSegmentsLeft() {
            Ipv6Packet ip = accepted(IpProtocol.IPV6_ROUTING, "1102 0400 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000" + UDP_TAIL);
            assertEquals(IpProtocol.UDP, ip.protocol());
            assertEquals(64, ip.payloadOffset());
        }

        @Test
        void refusesRoutingHeaderWithSegmentsLeft() {
            assertEquals(DropReason.IPV6_UNSUPPORTED_EXTENSION,
                    refused(IpProtocol.IPV6_ROUTING, "1102 0401 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000" + UDP_TAIL));
        }

        @Test
        void skipsAuthenticationHeader() {
            // Payload length 4 means (4 + 2) * 4 = 24 bytes: 12 fixed, 12 of ICV.
            Ipv6Packet ip = accepted(IpProtocol.AH, "1104 0000 0000 0100 0000 0001 0000 0000 0000 0000 0000 0000" + UDP_TAIL);
            assertEquals(IpProtocol.UDP, ip.protocol());
            assertEquals(64, ip.payloadOffset());
        }

        @Test
        void refusesEsp() {
            assertEquals(DropReason.IPV6_UNSUPPORTED_EXTENSION, refused(IpProtocol.ESP, "0000 0100 0000 0001 " + UDP_TAIL));
        }

        @Test
        void stopsAtNoNextHeader() {
            Ipv6Packet ip = accepted(IpProtocol.HOP_BY_HOP, "3b00 0104 0000 0000");
            assertEquals(IpProtocol.IPV6_NO_NEXT_HEADER, ip.protocol());
            assertEquals(0, ip.payloadLength());
        }

        @Test
        void refusesHopByHopAfterAnotherHeader() {
            assertEquals(DropReason.IPV6_MISPLACED_HOP_BY_HOP,
                    refused(IpProtocol.IPV6_DESTINATION_OPTIONS, "0000 0104 0000 0000 1100 0104 0000 0000" + UDP_TAIL));
        }

        @Test
        void refusesOptionThatAsksToDiscardWhenUnknown() {
            for (int type : new int[] {0x42, 0x82, 0xc2}) {
                String options = String.format("1100 %02x 04 0000 0000", type);
                assertEquals(DropReason.IPV6_UNSUPPORTED_EXTENSION, refused(IpProtocol.HOP_BY_HOP, options + UDP_TAIL),
                        "option type " + Integer.toHexString(type));
            }
        }

        @Test
        void skipsUnknownOptionMarkedSkippable() {
            assertEquals(IpProtocol.UDP, accepted(IpProtocol.IPV6_DESTINATION_OPTIONS, "1100 1e04 0000 0000" + UDP_TAIL).protocol());
        }

        @Test
        void refusesHeaderLengthPastThePacket() {
            // Header length 1 claims 16 bytes; only the 8-byte header and nothing else follows.
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.HOP_BY_HOP, "1101 0104 0000 0000"));
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.IPV6_ROUTING, "1101 0400 0000 0000"));
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.AH, "1104 0000 0000 0100"));
        }

        @Test
        void refusesHeaderCutBeforeItsFixedPart() {
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.HOP_BY_HOP, "1100 0104"));
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.IPV6_FRAGMENT, "1100 0001"));
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.HOP_BY_HOP, ""));
        }

        @Test
        void refusesOptionPastItsHeader() {
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.HOP_BY_HOP, "1100 0105 0000 0000" + UDP_TAIL));
            assertEquals(DropReason.IPV6_EXTENSION_OVERRUN, refused(IpProtocol.HOP_BY_HOP, "1100 0000 0000 0001" + UDP_TAIL));
        }

        @Test
        void walksALongChainOfPadding() {
            StringBuilder chain = new StringBuilder("3c00 0104 0000 0000");
            for (int i = 0; i < 100; i++) chain.append(i < 99 ? "3c00 0104 0000 0000" : "1100 0104 0000 0000");
            Ipv6Packet ip = accepted(IpProtocol.HOP_BY_HOP, chain + UDP_TAIL);
            assertEquals(IpProtocol.UDP, ip.protocol());
            assertEquals(40 + 101 * 8, ip.payloadOffset());
        }

        private Ipv6Packet accepted(int nextHeader, String rest) {
            byte[] p = packet(nextHeader, rest);
            Ipv6Packet ip = new Ipv6Packet();
            DropReason reason = ip.wrapChecked(wrap(p), 0, p.length);
            assertNull(reason, () -> "refused: " + reason);
            return ip;
        }

        private DropReason refused(int nextHeader, String rest) {
            byte[] p = packet(nextHeader, rest);
            return new Ipv6Packet().wrapChecked(wrap(p), 0, p.length);
        }
    }

    /** Returns the captured SYN's IPv6 header with {@code nextHeader} and {@code rest} (hex) as its payload. */
    static byte[] packet(int nextHeader, String rest) {
        byte[] tail = hex(rest);
        byte[] p = new byte[40 + tail.length];
        System.arraycopy(TCP6_SYN, 0, p, 0, 40);
        System.arraycopy(tail, 0, p, 40, tail.length);
        p[6] = (byte) nextHeader;
        return with16(p, 4, tail.length);
    }

    private static DropReason check(byte[] packet) {
        return new Ipv6Packet().wrapChecked(wrap(packet), 0, packet.length);
    }
}
