package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.RECV_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.REMOTE_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.SEND_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN_ACK;
import static dev.nstun.stack.tcp.TcpTestSupport.fromSyn;
import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static dev.nstun.stack.tcp.TcpTestSupport.pattern;
import static dev.nstun.stack.tcp.TcpTestSupport.recv;
import static dev.nstun.stack.tcp.TcpTestSupport.recvAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recvNothing;
import static dev.nstun.stack.tcp.TcpTestSupport.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpOptions;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Receiving through a TUN of MTU 65520, nstun's default: the command's Linux sends 64 KiB segments
 * and our 256 KiB buffer is a window of four of them, so every ACK matters. The command's segments
 * and what we answer are those of a stalled upload seen in a pcap (loss and reordering injected).
 */
class TcpJumboWindowTest {
    static final int MTU = 65520;
    /** What Linux announces for this MTU. */
    static final int PEER_MSS = MTU - 40;
    /** What each of its segments carries: the MSS less the timestamps option. */
    static final int SEG = PEER_MSS - TcpOptions.TIMESTAMPS_LENGTH;
    /** The request line and headers, 272 bytes: the four segments after them fill the window to 272 bytes of its edge. */
    static final int HEAD = 272;
    /** Where the upload's body starts. */
    static final SeqNumber BODY = REMOTE_SEQ.plus(1 + HEAD);
    /** A buffer of four segments, where every ACK matters (the default was this size when the pcap was taken). */
    static final int BUFFER = 256 * 1024;
    /** The window we advertise once the headers were read: the whole buffer, 32768 << 3. */
    static final int FULL_WINDOW = BUFFER >> 3;
    /** Our ACKs of the body: timestamps, the whole window. */
    static final Seg ACK_TEMPL = RECV_TEMPL.withAck(BODY).withWindow(FULL_WINDOW);

    /** nstun's defaults for this MTU (delayed ACK 40 ms, 16 quick ACKs, CUBIC) with {@link #BUFFER}, keepalive off. */
    static final TcpConfig JUMBO = TcpConfig.defaults(MTU).withBuffers(BUFFER, BUFFER).withKeepalive(0, 0, 0);

    /**
     * Handshake with Linux's options (window scale 7, SACK, timestamps), then the headers at 20 ms,
     * read by the relay before our ACK goes, which therefore opens the whole 256 KiB from {@link #BODY}.
     */
    static TcpConnection established(TcpConfig cfg) {
        TcpConnection conn = fromSyn(cfg, SYN.withMss(PEER_MSS).withWindowScale(7).withSackPermitted().withTimestamps(1000, 0));
        conn.accept(0);
        recv(conn, 0, SYN_ACK.withMss(PEER_MSS).withWindowScale(3).withSackPermitted().withTimestamps(Seg.ANY_TS, 1000));
        send(conn, 10, SEND_TEMPL.withTimestamps(1010, 0));
        assertFalse(send(conn, 20, SEND_TEMPL.withPayload(pattern(0, HEAD)).withTimestamps(1020, 0)), "headers: the quick ACK may wait for the batch");
        conn.read(ByteBuffer.allocate(HEAD));
        recv(conn, 20, ACK_TEMPL.withTimestamps(Seg.ANY_TS, 1020));
        return conn;
    }

    /** Body segment {@code n} (0-based) of {@code body}, as the command sends it at TSval {@code tsVal}. */
    static Seg body(byte[] body, int n, int tsVal) {
        int to = Math.min((n + 1) * SEG, body.length);
        return SEND_TEMPL.withSeq(BODY.plus(n * SEG)).withPayload(Arrays.copyOfRange(body, n * SEG, to)).withTimestamps(tsVal, 0);
    }

    /** Our duplicate ACK of {@link #BODY} reporting {@code [BODY + from, BODY + to)} as SACKed, echoing {@code tsEcr}. */
    static Seg dupAck(int from, int to, int tsEcr) {
        return ACK_TEMPL.withSack(BODY.plus(from), BODY.plus(to)).withTimestamps(Seg.ANY_TS, tsEcr);
    }

    static byte[] readAll(TcpConnection conn) {
        ByteBuffer dst = ByteBuffer.allocate(conn.readable());
        conn.read(dst);
        return dst.array();
    }

    @Nested
    class FirstSegmentLost {
        @Test
        void eachLaterSegmentElicitsADuplicateAckAndTheRetransmissionTheAckOfAll() {
            TcpConnection conn = established(JUMBO);
            byte[] data = pattern(HEAD, 4 * SEG);
            // Segment 0 is lost; 1 to 3 arrive and fill the window up to 272 bytes of its edge. Each is
            // acknowledged at once, its SACK block first (RFC 5681 §4.2, RFC 2018 §4); TS.Recent stays (RFC 7323 §4.3).
            for (int n = 1; n <= 3; n++) {
                assertTrue(send(conn, 30, body(data, n, 1030)), "segment " + n + ": reply due");
                recv(conn, 30, dupAck(SEG, (n + 1) * SEG, 1020));
            }
            // The tail loss probe repeats segment 3.
            assertTrue(send(conn, 40, body(data, 3, 1040)), "tail loss probe: reply due");
            recv(conn, 40, dupAck(SEG, 4 * SEG, 1020));
            // The retransmission fills the hole: everything is acknowledged; the relay has not read, so 272 bytes are left.
            assertTrue(send(conn, 250, body(data, 0, 1250)), "retransmission: reply due");
            recv(conn, 250, RECV_TEMPL.withAck(BODY.plus(4 * SEG)).withWindow(HEAD >> 3).withTimestamps(Seg.ANY_TS, 1250));
            // The relay reads: the window opens by far more than an MSS and at least doubles, so it is announced at once.
            assertArrayEquals(data, readAll(conn), "body");
            recv(conn, 251, RECV_TEMPL.withAck(BODY.plus(4 * SEG)).withWindow(FULL_WINDOW).withTimestamps(Seg.ANY_TS, 1250));
            // A second, backed-off retransmission of segment 0 is a duplicate: RFC 9293 §3.10.7.4 first, an ACK.
            assertTrue(send(conn, 650, body(data, 0, 1650)), "duplicate: reply due");
            recv(conn, 650, RECV_TEMPL.withAck(BODY.plus(4 * SEG)).withWindow(FULL_WINDOW).withTimestamps(Seg.ANY_TS, 1250));
        }
    }

    /** The loop reads the TUN in batches; {@code process} says after which segment a reply may not wait for the batch's end. */
    @Nested
    class Batch {
        @Test
        void everyOutOfOrderSegmentAsksForItsOwnDuplicateAck() {
            TcpConnection conn = established(JUMBO);
            byte[] data = pattern(HEAD, 4 * SEG);
            List<Seg> acks = new java.util.ArrayList<>();
            for (int n = 1; n <= 3; n++) {
                if (send(conn, 30, body(data, n, 1030))) acks.addAll(recvAll(conn, 30));
            }
            assertEquals(3, acks.size(), "duplicate ACKs for three out-of-order segments of one batch: " + acks);
            for (int n = 1; n <= 3; n++) {
                List<String> d = acks.get(n - 1).differencesFrom(dupAck(SEG, (n + 1) * SEG, 1020));
                assertTrue(d.isEmpty(), "duplicate ACK " + n + ": " + d);
            }
        }

        @Test
        void inOrderSegmentsAskForAnAckEverySecondFullSegment() {
            TcpConnection conn = established(JUMBO.withDelayedAck(ms(40), 1));
            byte[] data = pattern(HEAD, 4 * SEG);
            assertFalse(send(conn, 30, body(data, 0, 1030)), "segment 0: the ACK may wait");
            assertTrue(send(conn, 30, body(data, 1, 1030)), "segment 1: second full-sized segment (RFC 1122 §4.2.3.2)");
            // The relay reads before the ACK goes, so it moves the right edge by two segments.
            assertEquals(2 * SEG, readAll(conn).length, "readable");
            recv(conn, 30, RECV_TEMPL.withAck(BODY.plus(2 * SEG)).withWindow(FULL_WINDOW).withTimestamps(Seg.ANY_TS, 1030));
            assertFalse(send(conn, 31, body(data, 2, 1031)), "segment 2: the ACK may wait");
            assertTrue(send(conn, 31, body(data, 3, 1031)), "segment 3: second full-sized segment");
        }

        @Test
        void segmentOutsideTheWindowAsksForAnAck() {
            TcpConnection conn = established(JUMBO);
            assertTrue(send(conn, 30, SEND_TEMPL.withSeq(BODY.plus(BUFFER)).withPayload("x")
                    .withTimestamps(1030, 0)), "beyond the right edge: reply due");
            recv(conn, 30, ACK_TEMPL.withTimestamps(Seg.ANY_TS, 1020));
        }
    }

    @Nested
    class WindowUpdate {
        /** {@link #established}, then the body fills the buffer to its last byte at 30 ms: the window is closed. */
        TcpConnection full(byte[] data) {
            TcpConnection conn = established(JUMBO);
            for (int n = 0; n <= 4; n++) send(conn, 30, body(data, n, 1030));
            List<Seg> acks = recvAll(conn, 30);
            List<String> d = acks.get(acks.size() - 1).differencesFrom(
                    RECV_TEMPL.withAck(BODY.plus(BUFFER)).withWindow(0).withTimestamps(Seg.ANY_TS, 1030));
            assertTrue(d.isEmpty(), "last ACK of the body: " + d);
            return conn;
        }

        @Test
        void segmentAtRcvNxtIntoAClosedWindowElicitsAnAck() {
            byte[] data = pattern(HEAD, BUFFER + SEG);
            TcpConnection conn = full(data);
            assertTrue(send(conn, 250, body(data, 5, 1250)), "segment at RCV.NXT, zero window: reply due");
            recv(conn, 250, RECV_TEMPL.withAck(BODY.plus(BUFFER)).withWindow(0).withTimestamps(Seg.ANY_TS, 1030));
            assertEquals(BUFFER, conn.readable(), "readable: the segment was not taken");
        }

        @Test
        void readingOneSegmentFromAFullBufferAnnouncesTheWindow() {
            byte[] data = pattern(HEAD, BUFFER);
            TcpConnection conn = full(data);
            // One segment's worth frees an MSS less the options; the scaled field says it rounded down to 8 bytes.
            // RFC 1122 §4.2.3.3: that is the minimum step, so the window update goes at once.
            assertEquals(SEG, conn.read(ByteBuffer.allocate(SEG)), "read");
            recv(conn, 40, RECV_TEMPL.withAck(BODY.plus(BUFFER)).withWindow(SEG >> 3)
                    .withTimestamps(Seg.ANY_TS, 1030));
        }

        @Test
        void readingLessThanASegmentFromAFullBufferWaits() {
            byte[] data = pattern(HEAD, BUFFER);
            TcpConnection conn = full(data);
            conn.read(ByteBuffer.allocate(SEG - 8));
            recvNothing(conn, 40);
        }
    }
}
