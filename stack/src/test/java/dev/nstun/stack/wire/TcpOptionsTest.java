package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN_ACK;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.filled;
import static dev.nstun.stack.wire.CapturedPackets.show;
import static dev.nstun.stack.wire.CapturedPackets.slice;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TcpOptionsTest {

    private static final TcpOptions SYN_OPTIONS = new TcpOptions(1460, 10, true, true, 580043848, 0);

    @Test
    void parsesCapturedSyn() {
        assertEquals(SYN_OPTIONS, TcpOptions.parse(TcpSegment.unchecked(wrap(TCP4_SYN), 20, 40)));
    }

    @Test
    void emitsCapturedSynOptions() {
        ByteBuffer buf = filled(24, false);
        assertEquals(20, SYN_OPTIONS.length());
        assertEquals(20, SYN_OPTIONS.emitInto(buf, 2));
        assertArrayEquals(slice(TCP4_SYN, 40, 60), bytes(buf, 2, 20), () -> show(bytes(buf, 2, 20)));
        assertEquals((byte) 0xa5, buf.get(22), "nothing written past the options");
    }

    @Test
    void emitsCapturedSynAckOptions() {
        TcpOptions synAck = SYN_OPTIONS.withTimestamps(1666587282, 580043848);
        ByteBuffer buf = filled(20, true);
        synAck.emitInto(buf, 0);
        assertArrayEquals(slice(TCP4_SYN_ACK, 40, 60), bytes(buf, 0, 20), () -> show(bytes(buf, 0, 20)));
    }

    @Test
    void roundTripsEveryCombination() {
        for (int mss : new int[] {-1, 0, 536, 65535}) {
            for (int scale = -1; scale <= 14; scale += 5) {
                for (int flags = 0; flags < 4; flags++) {
                    boolean sack = (flags & 1) != 0;
                    boolean ts = (flags & 2) != 0;
                    TcpOptions options = new TcpOptions(mss, scale, sack, ts, ts ? 0xfffffffe : 0, ts ? 7 : 0);
                    assertEquals(options, TcpOptions.parse(segmentWith(options)), options.toString());
                }
            }
        }
    }

    @Test
    void emitsSackPermittedAfterTwoNopsWithoutTimestamps() {
        ByteBuffer buf = filled(8, false);
        int n = new TcpOptions(-1, 7, true, false, 0, 0).emitInto(buf, 0);
        assertArrayEquals(CapturedPackets.hex("0101 0402 0103 0307"), bytes(buf, 0, n));
    }

    @Test
    void emitsNothingForNone() {
        assertEquals(0, TcpOptions.NONE.length());
        assertEquals(0, TcpOptions.NONE.emitInto(filled(0, false), 0));
    }

    @Test
    void emitsSackBlocksTheSegmentReadsBack() {
        int[] edges = {0xfffffff0, 0x10, 0x20, 0x30, 0x40, 0x50};
        ByteBuffer buf = filled(20 + TcpOptions.sackBlocksLength(3), false);
        assertEquals(28, TcpOptions.emitSackBlocks(buf, 20, edges, 3));
        TcpSegment tcp = TcpSegment.unchecked(buf, 0, buf.capacity());
        tcp.setHeaderLength(48);
        assertNull(new TcpSegment().wrapChecked(buf, 0, buf.capacity()));
        assertEquals(3, tcp.sackBlockCount());
        for (int i = 0; i < 3; i++) {
            assertEquals(edges[2 * i], tcp.sackLeft(i));
            assertEquals(edges[2 * i + 1], tcp.sackRight(i));
        }
    }

    @Test
    void refusesImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(65536, -1, false, false, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(-2, -1, false, false, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(-1, 15, false, false, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> TcpOptions.emitSackBlocks(filled(64, false), 0, new int[10], 5));
    }

    private static TcpSegment segmentWith(TcpOptions options) {
        ByteBuffer buf = filled(20 + options.length(), false);
        TcpSegment tcp = TcpSegment.unchecked(buf, 0, buf.capacity());
        tcp.setHeaderLength(20 + options.emitInto(buf, 20));
        DropReason reason = new TcpSegment().wrapChecked(buf, 0, buf.capacity());
        assertNull(reason, () -> options + " refused: " + reason);
        return tcp;
    }
}
