package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.ICMP4_FRAGMENT_FIRST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP4_FRAGMENT_LAST;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN;
import static dev.nstun.stack.wire.CapturedPackets.V4_CLIENT;
import static dev.nstun.stack.wire.CapturedPackets.V4_SERVER;
import static dev.nstun.stack.wire.CapturedPackets.at;
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

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Ipv4PacketTest {

    @ParameterizedTest(name = "at offset {0}, direct {1}")
    @CsvSource({"0, false", "7, false", "0, true", "13, true"})
    void deconstructsCapturedSyn(int offset, boolean direct) throws Exception {
        ByteBuffer buf = at(TCP4_SYN, offset, direct);
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(buf, offset, TCP4_SYN.length));
        assertEquals(4, ip.version());
        assertEquals(20, ip.headerLength());
        assertEquals(0, ip.dscp());
        assertEquals(0, ip.ecn());
        assertEquals(60, ip.totalLength());
        assertEquals(60, ip.length());
        assertEquals(61793, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.hopLimit());
        assertEquals(IpProtocol.TCP, ip.protocol());
        assertEquals(0xbd32, ip.headerChecksum());
        assertEquals(V4_CLIENT, ip.source());
        assertEquals(V4_SERVER, ip.destination());
        assertEquals(InetAddress.getByName("198.18.0.1"), ip.sourceAddress());
        assertEquals(InetAddress.getByName("198.18.0.2"), ip.destinationAddress());
        assertEquals(offset + 20, ip.payloadOffset());
        assertEquals(40, ip.payloadLength());
        assertTrue(Checksum.verifyIpv4Header(ip));
    }

    @Test
    void readsNetworkOrderWhateverTheBufferOrder() {
        ByteBuffer buf = wrap(TCP4_SYN).order(ByteOrder.LITTLE_ENDIAN);
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, TCP4_SYN.length);
        assertEquals(61793, ip.identification());
        assertEquals(V4_CLIENT, ip.source());
    }

    @Test
    void constructsCapturedSynHeader() {
        ByteBuffer buf = filled(20, false);
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, 20);
        ip.setVersionAndHeaderLength(20);
        ip.setDscpEcn(0);
        ip.setTotalLength(60);
        ip.setIdentification(61793);
        ip.setFlagsAndFragmentOffset(true, false, 0);
        ip.setTtl(64);
        ip.setProtocol(IpProtocol.TCP);
        ip.setSource(V4_CLIENT);
        ip.setDestination(V4_SERVER);
        Checksum.fillIpv4Header(ip);
        assertArrayEquals(slice(TCP4_SYN, 0, 20), bytes(buf, 0, 20), () -> show(bytes(buf, 0, 20)));
    }

    @Test
    void ignoresBytesPastTheTotalLength() {
        byte[] padded = new byte[TCP4_SYN.length + 6];
        System.arraycopy(TCP4_SYN, 0, padded, 0, TCP4_SYN.length);
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(wrap(padded), 0, padded.length));
        assertEquals(60, ip.length());
        assertEquals(40, ip.payloadLength());
    }

    @Test
    void readsFragmentFields() {
        Ipv4Packet first = new Ipv4Packet();
        assertNull(first.wrapChecked(wrap(ICMP4_FRAGMENT_FIRST), 0, ICMP4_FRAGMENT_FIRST.length));
        assertTrue(first.isFragment());
        assertTrue(first.moreFragments());
        assertEquals(0, first.fragmentOffset());
        assertEquals(38712, first.identification());
        assertEquals(1256, first.payloadLength());

        Ipv4Packet last = new Ipv4Packet();
        assertNull(last.wrapChecked(wrap(ICMP4_FRAGMENT_LAST), 0, ICMP4_FRAGMENT_LAST.length));
        assertTrue(last.isFragment());
        assertFalse(last.moreFragments());
        assertEquals(1256, last.fragmentOffset());
        assertEquals(152, last.payloadLength());
    }

    @Test
    void refusesEveryTruncation() {
        Ipv4Packet ip = new Ipv4Packet();
        for (int len = 0; len < TCP4_SYN.length; len++) {
            DropReason want = len < 20 ? DropReason.TRUNCATED : DropReason.IPV4_BAD_TOTAL_LENGTH;
            assertEquals(want, ip.wrapChecked(wrap(slice(TCP4_SYN, 0, len)), 0, len), "length " + len);
        }
    }

    @Test
    void refusesARangePastTheBufferLimit() {
        ByteBuffer buf = wrap(TCP4_SYN);
        Ipv4Packet ip = new Ipv4Packet();
        assertEquals(DropReason.TRUNCATED, ip.wrapChecked(buf, 1, TCP4_SYN.length));
        assertEquals(DropReason.TRUNCATED, ip.wrapChecked(buf, -1, 20));
        assertEquals(DropReason.TRUNCATED, ip.wrapChecked(buf, 0, -1));
        assertEquals(DropReason.TRUNCATED, ip.wrapChecked(buf, Integer.MAX_VALUE, 20));
    }

    @Test
    void refusesWrongVersion() {
        assertEquals(DropReason.IP_BAD_VERSION, check(with(TCP4_SYN, 0, 0x65)));
    }

    @Test
    void refusesHeaderLengthBelowFiveWords() {
        for (int ihl = 0; ihl < 5; ihl++) {
            assertEquals(DropReason.IPV4_BAD_HEADER_LENGTH, check(with(TCP4_SYN, 0, 0x40 | ihl)), "IHL " + ihl);
        }
    }

    @Test
    void refusesHeaderLongerThanTotalLength() {
        byte[] shortTotal = with16(with(TCP4_SYN, 0, 0x4f), 2, 40);
        assertEquals(DropReason.IPV4_BAD_HEADER_LENGTH, check(shortTotal));
    }

    @Test
    void refusesTotalLengthBelowTwentyOrPastTheBuffer() {
        assertEquals(DropReason.IPV4_BAD_HEADER_LENGTH, check(with16(TCP4_SYN, 2, 19)));
        assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH, check(with16(TCP4_SYN, 2, 61)));
        assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH, check(with16(TCP4_SYN, 2, 0xffff)));
    }

    @Test
    void acceptsHeaderWithOptions() {
        // IHL 6: one word of options (NOP NOP NOP EOL), the total length grown to match.
        byte[] p = new byte[64];
        System.arraycopy(TCP4_SYN, 0, p, 0, 20);
        p[0] = 0x46;
        p[3] = 64;
        p[20] = 1;
        p[21] = 1;
        p[22] = 1;
        System.arraycopy(TCP4_SYN, 20, p, 24, 40);
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(wrap(p), 0, p.length));
        assertEquals(24, ip.headerLength());
        assertEquals(24, ip.payloadOffset());
        assertEquals(40, ip.payloadLength());
    }

    @Test
    void corruptHeaderFailsVerification() {
        Ipv4Packet ip = Ipv4Packet.unchecked(wrap(with(TCP4_SYN, 8, 63)), 0, TCP4_SYN.length);
        assertFalse(Checksum.verifyIpv4Header(ip));
    }

    private static DropReason check(byte[] packet) {
        return new Ipv4Packet().wrapChecked(wrap(packet), 0, packet.length);
    }
}
