package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.ICMP4_ECHO_REQUEST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP4_PORT_UNREACHABLE;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_ECHO_REQUEST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_PORT_UNREACHABLE;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.filled;
import static dev.nstun.stack.wire.CapturedPackets.show;
import static dev.nstun.stack.wire.CapturedPackets.slice;
import static dev.nstun.stack.wire.CapturedPackets.with;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class IcmpMessageTest {

    @Nested
    class V4 {

        @Test
        void deconstructsCapturedEchoRequest() {
            Ipv4Packet ip = Ipv4Packet.unchecked(wrap(ICMP4_ECHO_REQUEST), 0, ICMP4_ECHO_REQUEST.length);
            IcmpV4Message icmp = new IcmpV4Message();
            assertNull(icmp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(IcmpV4Message.TYPE_ECHO_REQUEST, icmp.type());
            assertEquals(0, icmp.code());
            assertEquals(0x0bc2, icmp.checksum());
            assertEquals(5469, icmp.identifier());
            assertEquals(1, icmp.sequence());
            assertEquals(56, icmp.payloadLength());
            assertTrue(icmp.isEchoRequest());
            assertFalse(icmp.isEchoReply() || icmp.isError());
            assertTrue(Checksum.verifyIcmpV4(icmp));
        }

        @Test
        void deconstructsCapturedPortUnreachableAndItsQuotedPacket() {
            Ipv4Packet ip = Ipv4Packet.unchecked(wrap(ICMP4_PORT_UNREACHABLE), 0, ICMP4_PORT_UNREACHABLE.length);
            IcmpV4Message icmp = new IcmpV4Message();
            assertNull(icmp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(IcmpV4Message.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            assertEquals(IcmpV4Message.CODE_PORT_UNREACHABLE, icmp.code());
            assertEquals(0, icmp.restOfHeader());
            assertTrue(icmp.isError());
            assertTrue(Checksum.verifyIcmpV4(icmp));

            Ipv4Packet quoted = new Ipv4Packet();
            assertNull(quoted.wrapChecked(icmp.buffer(), icmp.payloadOffset(), icmp.payloadLength()));
            assertEquals(IpProtocol.UDP, quoted.protocol());
            UdpDatagram udp = new UdpDatagram();
            assertNull(udp.wrapChecked(quoted.buffer(), quoted.payloadOffset(), quoted.payloadLength()));
            assertEquals(9, udp.destinationPort());
        }

        @Test
        void constructsCapturedEchoRequest() {
            ByteBuffer buf = filled(ICMP4_ECHO_REQUEST.length, true);
            buf.put(0, ICMP4_ECHO_REQUEST, 0, 20);
            buf.put(28, ICMP4_ECHO_REQUEST, 28, 56);
            IcmpV4Message icmp = IcmpV4Message.unchecked(buf, 20, 64);
            icmp.setType(IcmpV4Message.TYPE_ECHO_REQUEST);
            icmp.setCode(0);
            icmp.setIdentifier(5469);
            icmp.setSequence(1);
            Checksum.fillIcmpV4(icmp);
            assertArrayEquals(ICMP4_ECHO_REQUEST, bytes(buf, 0, ICMP4_ECHO_REQUEST.length),
                    () -> show(bytes(buf, 0, ICMP4_ECHO_REQUEST.length)));
        }

        @Test
        void readsNextHopMtuAndPointer() {
            ByteBuffer buf = filled(8, false);
            IcmpV4Message icmp = IcmpV4Message.unchecked(buf, 0, 8);
            icmp.setType(IcmpV4Message.TYPE_DESTINATION_UNREACHABLE);
            icmp.setCode(IcmpV4Message.CODE_FRAGMENTATION_NEEDED);
            icmp.setRestOfHeader(1400);
            assertEquals(1400, icmp.nextHopMtu());
            icmp.setRestOfHeader(20 << 24);
            assertEquals(20, icmp.pointer());
        }

        @Test
        void corruptMessageFailsVerification() {
            byte[] p = with(ICMP4_ECHO_REQUEST, 60, 0);
            assertFalse(Checksum.verifyIcmpV4(IcmpV4Message.unchecked(wrap(p), 20, 64)));
        }
    }

    @Nested
    class V6 {

        @Test
        void deconstructsCapturedEchoRequest() {
            Ipv6Packet ip = Ipv6Packet.unchecked(wrap(ICMP6_ECHO_REQUEST), 0, ICMP6_ECHO_REQUEST.length);
            IcmpV6Message icmp = new IcmpV6Message();
            assertNull(icmp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(IcmpV6Message.TYPE_ECHO_REQUEST, icmp.type());
            assertEquals(0xdb40, icmp.checksum());
            assertEquals(5470, icmp.identifier());
            assertEquals(1, icmp.sequence());
            assertTrue(icmp.isEchoRequest());
            assertFalse(icmp.isError());
            assertTrue(Checksum.verifyIcmpV6(ip, icmp));
        }

        @Test
        void deconstructsCapturedPortUnreachableAndItsQuotedPacket() {
            Ipv6Packet ip = Ipv6Packet.unchecked(wrap(ICMP6_PORT_UNREACHABLE), 0, ICMP6_PORT_UNREACHABLE.length);
            IcmpV6Message icmp = new IcmpV6Message();
            assertNull(icmp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertEquals(IcmpV6Message.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            assertEquals(IcmpV6Message.CODE_PORT_UNREACHABLE, icmp.code());
            assertTrue(icmp.isError());
            assertTrue(Checksum.verifyIcmpV6(ip, icmp));

            Ipv6Packet quoted = new Ipv6Packet();
            assertNull(quoted.wrapChecked(icmp.buffer(), icmp.payloadOffset(), icmp.payloadLength()));
            assertEquals(IpProtocol.UDP, quoted.protocol());
            assertEquals(9, UdpDatagram.unchecked(quoted.buffer(), quoted.payloadOffset(), quoted.payloadLength()).destinationPort());
        }

        @Test
        void constructsCapturedPortUnreachable() {
            byte[] want = ICMP6_PORT_UNREACHABLE;
            ByteBuffer buf = filled(want.length, false);
            buf.put(0, want, 0, 40);
            buf.put(48, want, 48, want.length - 48);
            Ipv6Packet ip = Ipv6Packet.unchecked(buf, 0, want.length);
            IcmpV6Message icmp = IcmpV6Message.unchecked(buf, 40, want.length - 40);
            icmp.setType(IcmpV6Message.TYPE_DESTINATION_UNREACHABLE);
            icmp.setCode(IcmpV6Message.CODE_PORT_UNREACHABLE);
            icmp.setRestOfHeader(0);
            Checksum.fillIcmpV6(ip, icmp);
            assertArrayEquals(want, bytes(buf, 0, want.length), () -> show(bytes(buf, 0, want.length)));
        }

        @Test
        void readsPacketTooBigMtu() {
            ByteBuffer buf = filled(8, false);
            IcmpV6Message icmp = IcmpV6Message.unchecked(buf, 0, 8);
            icmp.setType(IcmpV6Message.TYPE_PACKET_TOO_BIG);
            icmp.setRestOfHeader(0x80000000);
            assertTrue(icmp.isError());
            assertEquals(0x80000000L, icmp.mtu());
            assertEquals(0x80000000L, icmp.pointer());
        }

        @Test
        void checksumCoversThePseudoHeader() {
            byte[] p = with(ICMP6_ECHO_REQUEST, 39, 3);
            Ipv6Packet ip = Ipv6Packet.unchecked(wrap(p), 0, p.length);
            assertFalse(Checksum.verifyIcmpV6(ip, IcmpV6Message.unchecked(ip.buffer(), 40, 64)), "destination changed");
        }
    }

    @Test
    void refusesTruncatedHeader() {
        byte[] message = slice(ICMP4_ECHO_REQUEST, 20, 84);
        for (int len = 0; len < 8; len++) {
            assertEquals(DropReason.TRUNCATED, new IcmpV4Message().wrapChecked(wrap(slice(message, 0, len)), 0, len));
            assertEquals(DropReason.TRUNCATED, new IcmpV6Message().wrapChecked(wrap(slice(message, 0, len)), 0, len));
        }
        assertNull(new IcmpV4Message().wrapChecked(wrap(slice(message, 0, 8)), 0, 8));
    }
}
