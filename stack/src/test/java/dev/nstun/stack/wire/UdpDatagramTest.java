package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.UDP4;
import static dev.nstun.stack.wire.CapturedPackets.UDP6;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.filled;
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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UdpDatagramTest {

    @Test
    void deconstructsCapturedIpv4Datagram() {
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(wrap(UDP4), 0, UDP4.length));
        UdpDatagram udp = new UdpDatagram();
        assertNull(udp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        assertEquals(34055, udp.sourcePort());
        assertEquals(5353, udp.destinationPort());
        assertEquals(18, udp.lengthField());
        assertEquals(18, udp.length());
        assertEquals(0xa32c, udp.checksum());
        assertEquals(28, udp.payloadOffset());
        assertEquals(10, udp.payloadLength());
        assertEquals("nstun-udp\n", StandardCharsets.US_ASCII.decode(ip.buffer().slice(udp.payloadOffset(), udp.payloadLength())).toString());
        assertTrue(Checksum.verifyUdp(ip, udp));
    }

    @Test
    void verifiesCapturedIpv6Datagram() {
        Ipv6Packet ip = new Ipv6Packet();
        assertNull(ip.wrapChecked(wrap(UDP6), 0, UDP6.length));
        UdpDatagram udp = new UdpDatagram();
        assertNull(udp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        assertEquals(0x3897, udp.checksum());
        assertTrue(Checksum.verifyUdp(ip, udp));
    }

    @Test
    void constructsCapturedIpv4Datagram() {
        ByteBuffer buf = filled(UDP4.length, false);
        buf.put(0, UDP4, 0, 20);
        buf.put(28, "nstun-udp\n".getBytes(StandardCharsets.US_ASCII));
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, UDP4.length);
        UdpDatagram udp = UdpDatagram.unchecked(buf, 20, 18);
        udp.setSourcePort(34055);
        udp.setDestinationPort(5353);
        udp.setLengthField(18);
        Checksum.fillUdp(ip, udp);
        assertArrayEquals(UDP4, bytes(buf, 0, UDP4.length), () -> show(bytes(buf, 0, UDP4.length)));
    }

    @Test
    void zeroChecksumMeansNoneOverIpv4Only() {
        byte[] v4 = with16(UDP4, 26, 0);
        assertTrue(Checksum.verifyUdp(Ipv4Packet.unchecked(wrap(v4), 0, v4.length), UdpDatagram.unchecked(wrap(v4), 20, 18)));
        byte[] v6 = with16(UDP6, 46, 0);
        assertFalse(Checksum.verifyUdp(Ipv6Packet.unchecked(wrap(v6), 0, v6.length), UdpDatagram.unchecked(wrap(v6), 40, 18)),
                "RFC 8200 §8.1: a zero UDP checksum over IPv6 is discarded");
    }

    @Test
    void computedZeroGoesOutAsAllOnes() {
        // Make the last two payload bytes the checksum computed with them zero: the sum becomes 0xffff,
        // whose complement 0 would mean "no checksum".
        ByteBuffer buf = ByteBuffer.wrap(with16(UDP4, 36, 0));
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, UDP4.length);
        UdpDatagram udp = UdpDatagram.unchecked(buf, 20, 18);
        Checksum.fillUdp(ip, udp);
        buf.putShort(36, (short) udp.checksum());
        Checksum.fillUdp(ip, udp);
        assertEquals(0xffff, udp.checksum());
        assertTrue(Checksum.verifyUdp(ip, udp));
    }

    @Test
    void corruptPayloadFailsVerification() {
        byte[] p = with(UDP4, 30, 'X');
        assertFalse(Checksum.verifyUdp(Ipv4Packet.unchecked(wrap(p), 0, p.length), UdpDatagram.unchecked(wrap(p), 20, 18)));
    }

    @Test
    void narrowsTheViewToTheLengthField() {
        byte[] p = with16(slice(UDP4, 20, 38), 4, 9);
        UdpDatagram udp = new UdpDatagram();
        assertNull(udp.wrapChecked(wrap(p), 0, p.length));
        assertEquals(9, udp.length());
        assertEquals(1, udp.payloadLength());
    }

    @Test
    void refusesTruncationAndImpossibleLengths() {
        byte[] d = slice(UDP4, 20, 38);
        for (int len = 0; len < d.length; len++) {
            DropReason want = len < 8 ? DropReason.TRUNCATED : DropReason.UDP_BAD_LENGTH;
            assertEquals(want, check(slice(d, 0, len)), "length " + len);
        }
        assertEquals(DropReason.UDP_BAD_LENGTH, check(with16(d, 4, 7)));
        assertEquals(DropReason.UDP_BAD_LENGTH, check(with16(d, 4, 0)));
        assertEquals(DropReason.UDP_BAD_LENGTH, check(with16(d, 4, 19)));
    }

    private static DropReason check(byte[] datagram) {
        return new UdpDatagram().wrapChecked(wrap(datagram), 0, datagram.length);
    }
}
