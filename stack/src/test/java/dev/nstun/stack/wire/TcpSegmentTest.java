package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.TCP4_DATA;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_DATA;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_SYN;
import static dev.nstun.stack.wire.CapturedPackets.at;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.hex;
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
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TcpSegmentTest {

    @Test
    void deconstructsCapturedSyn() {
        ByteBuffer buf = at(TCP4_SYN, 3, false);
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(buf, 3, TCP4_SYN.length));
        TcpSegment tcp = new TcpSegment();
        assertNull(tcp.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(40736, tcp.sourcePort());
        assertEquals(8080, tcp.destinationPort());
        assertEquals(SeqNumber.of(1037804125L).value(), tcp.seqNumber());
        assertEquals(0, tcp.ackNumber());
        assertEquals(40, tcp.headerLength());
        assertEquals(0, tcp.reservedBits());
        assertEquals(TcpSegment.SYN, tcp.flags());
        assertTrue(tcp.syn());
        assertFalse(tcp.ack() || tcp.fin() || tcp.rst() || tcp.psh() || tcp.urg() || tcp.ece() || tcp.cwr());
        assertEquals(64240, tcp.window());
        assertEquals(0x3b20, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(3 + 20 + 20, tcp.optionsOffset());
        assertEquals(20, tcp.optionsLength());
        assertEquals(3 + 20 + 40, tcp.payloadOffset());
        assertEquals(0, tcp.payloadLength());
        assertEquals(1, tcp.segmentLength(), "SYN takes one sequence number");
        assertEquals(1460, tcp.mss());
        assertTrue(tcp.sackPermitted());
        assertTrue(tcp.hasTimestamps());
        assertEquals(580043848, tcp.timestampValue());
        assertEquals(0, tcp.timestampEcho());
        assertEquals(10, tcp.windowScale());
        assertEquals(0, tcp.sackBlockCount());
        assertTrue(Checksum.verifyTcp(ip, tcp));
    }

    @Test
    void deconstructsCapturedDataSegment() {
        Ipv4Packet ip = Ipv4Packet.unchecked(wrap(TCP4_DATA), 0, TCP4_DATA.length);
        TcpSegment tcp = new TcpSegment();
        assertNull(tcp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        assertEquals(SeqNumber.of(1037804126L).value(), tcp.seqNumber());
        assertEquals(SeqNumber.of(4231213852L).value(), tcp.ackNumber());
        assertEquals(TcpSegment.PSH | TcpSegment.ACK, tcp.flags());
        assertEquals(63, tcp.window());
        assertEquals(32, tcp.headerLength());
        assertEquals(5, tcp.payloadLength());
        assertEquals(5, tcp.segmentLength());
        assertEquals("ping\n", StandardCharsets.US_ASCII.decode(ip.buffer().slice(tcp.payloadOffset(), tcp.payloadLength())).toString());
        assertEquals(-1, tcp.mss());
        assertEquals(-1, tcp.windowScale());
        assertFalse(tcp.sackPermitted());
        assertEquals(580043849, tcp.timestampValue());
        assertEquals(1666587282, tcp.timestampEcho());
        assertEquals(0xce79, tcp.checksum());
        assertTrue(Checksum.verifyTcp(ip, tcp));
    }

    @Test
    void verifiesCapturedIpv6Checksums() {
        for (byte[] p : new byte[][] {TCP6_SYN, TCP6_DATA}) {
            Ipv6Packet ip = Ipv6Packet.unchecked(wrap(p), 0, p.length);
            TcpSegment tcp = new TcpSegment();
            assertNull(tcp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
            assertTrue(Checksum.verifyTcp(ip, tcp), show(p));
        }
    }

    @Test
    void constructsCapturedDataSegment() {
        ByteBuffer buf = CapturedPackets.filled(TCP4_DATA.length, true);
        buf.put(0, TCP4_DATA, 0, 20);
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, TCP4_DATA.length);
        TcpSegment tcp = TcpSegment.unchecked(buf, 20, TCP4_DATA.length - 20);
        tcp.setSourcePort(40736);
        tcp.setDestinationPort(8080);
        tcp.setSeqNumber(SeqNumber.of(1037804126L).value());
        tcp.setAckNumber(SeqNumber.of(4231213852L).value());
        tcp.setHeaderLength(32);
        tcp.setFlags(TcpSegment.PSH | TcpSegment.ACK);
        tcp.setWindow(63);
        tcp.setUrgentPointer(0);
        TcpOptions.emitTimestamps(buf, tcp.optionsOffset(), 580043849, 1666587282);
        buf.put(tcp.payloadOffset(), "ping\n".getBytes(StandardCharsets.US_ASCII));
        Checksum.fillTcp(ip, tcp);
        assertArrayEquals(TCP4_DATA, bytes(buf, 0, TCP4_DATA.length), () -> show(bytes(buf, 0, TCP4_DATA.length)));
    }

    @Test
    void corruptPayloadFailsVerification() {
        byte[] p = with(TCP4_DATA, TCP4_DATA.length - 1, '!');
        Ipv4Packet ip = Ipv4Packet.unchecked(wrap(p), 0, p.length);
        assertFalse(Checksum.verifyTcp(ip, TcpSegment.unchecked(ip.buffer(), 20, p.length - 20)));
    }

    @Test
    void readsEveryFlag() {
        TcpSegment tcp = segment(with(slice(TCP4_SYN, 20, 60), 13, 0xff));
        assertTrue(tcp.fin() && tcp.syn() && tcp.rst() && tcp.psh() && tcp.ack() && tcp.urg() && tcp.ece() && tcp.cwr());
        assertEquals(2, tcp.segmentLength());
    }

    @Test
    void refusesEveryTruncation() {
        byte[] syn = slice(TCP4_SYN, 20, 60);
        for (int len = 0; len < syn.length; len++) {
            DropReason want = len < 20 ? DropReason.TRUNCATED : DropReason.TCP_BAD_DATA_OFFSET;
            assertEquals(want, check(slice(syn, 0, len)), "length " + len);
        }
    }

    @Test
    void refusesDataOffsetBelowFive() {
        byte[] syn = slice(TCP4_SYN, 20, 60);
        for (int words = 0; words < 5; words++) {
            assertEquals(DropReason.TCP_BAD_DATA_OFFSET, check(with(syn, 12, words << 4)), "data offset " + words);
        }
    }

    @Test
    void refusesDataOffsetPastTheSegment() {
        assertEquals(DropReason.TCP_BAD_DATA_OFFSET, check(with(slice(TCP4_SYN, 20, 60), 12, 0xb0)));
        assertEquals(DropReason.TCP_BAD_DATA_OFFSET, check(with(slice(TCP4_SYN, 20, 60), 12, 0xf0)));
    }

    @Nested
    class Options {

        @Test
        void refusesZeroAndOneLengths() {
            assertEquals(DropReason.TCP_BAD_OPTION_LENGTH, check(withOptions("1e00 0000")));
            assertEquals(DropReason.TCP_BAD_OPTION_LENGTH, check(withOptions("1e01 0000")));
        }

        @Test
        void refusesOptionRunningPastTheHeader() {
            assertEquals(DropReason.TCP_BAD_OPTION_LENGTH, check(withOptions("0204 05b4 0108 0a00")));
            assertEquals(DropReason.TCP_BAD_OPTION_LENGTH, check(withOptions("0101 0108 0a00 0000")));
        }

        @Test
        void refusesKindWithoutRoomForItsLength() {
            assertEquals(DropReason.TCP_BAD_OPTION_LENGTH, check(withOptions("0101 0102")));
        }

        @Test
        void stopsAtEndOfOptionList() {
            TcpSegment tcp = segment(withOptions("0204 05b4 0000 ffff"));
            assertEquals(1460, tcp.mss());
            assertFalse(tcp.hasTimestamps());
        }

        @Test
        void skipsUnknownKinds() {
            TcpSegment tcp = segment(withOptions("fe06 0102 0304 0204 0218 0000"));
            assertEquals(0x218, tcp.mss());
        }

        @Test
        void ignoresKnownKindWithWrongLength() {
            TcpSegment tcp = segment(withOptions("0203 0501 0302 0104 0300 0000"));
            assertEquals(-1, tcp.mss());
            assertEquals(-1, tcp.windowScale());
            assertFalse(tcp.sackPermitted(), "SACK-permitted of length 3 is not one");
        }

        @Test
        void clampsWindowScaleToFourteen() {
            assertEquals(14, segment(withOptions("0103 030f")).windowScale());
            assertEquals(14, segment(withOptions("0103 03ff")).windowScale());
        }

        @Test
        void readsSackBlocks() {
            TcpSegment tcp = segment(withOptions("0101 0512 ffff fff0 0000 0010 0000 0020 0000 0030"));
            assertEquals(2, tcp.sackBlockCount());
            assertEquals(0xfffffff0, tcp.sackLeft(0));
            assertEquals(0x10, tcp.sackRight(0));
            assertEquals(0x20, tcp.sackLeft(1));
            assertEquals(0x30, tcp.sackRight(1));
            assertEquals(0, tcp.sackLeft(2));
            assertEquals(0, tcp.sackRight(-1));
        }

        @Test
        void ignoresSackOfImpossibleLength() {
            TcpSegment tcp = segment(withOptions("0101 050b ffff fff0 0000 0010 0000 0000"));
            assertEquals(0, tcp.sackBlockCount());
            assertEquals(0, tcp.sackLeft(0));
        }

        @Test
        void findsNothingInAnUncheckedHeaderWithBrokenOptions() {
            TcpSegment tcp = TcpSegment.unchecked(wrap(withOptions("0200 0000")), 0, 24);
            assertEquals(-1, tcp.mss());
            assertEquals(0, tcp.sackBlockCount());
        }
    }

    /** Returns the captured SYN's TCP header with {@code options} (hex, a multiple of 4 bytes) in place of its own, and no payload. */
    static byte[] withOptions(String options) {
        byte[] o = hex(options);
        byte[] segment = new byte[20 + o.length];
        System.arraycopy(TCP4_SYN, 20, segment, 0, 20);
        System.arraycopy(o, 0, segment, 20, o.length);
        segment[12] = (byte) ((20 + o.length) / 4 << 4);
        return segment;
    }

    private static TcpSegment segment(byte[] segment) {
        TcpSegment tcp = new TcpSegment();
        DropReason reason = tcp.wrapChecked(wrap(segment), 0, segment.length);
        assertNull(reason, () -> "refused: " + reason);
        return tcp;
    }

    private static DropReason check(byte[] segment) {
        return new TcpSegment().wrapChecked(wrap(segment), 0, segment.length);
    }
}
