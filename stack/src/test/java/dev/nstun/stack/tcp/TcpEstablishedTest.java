package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.CFG;
import static dev.nstun.stack.tcp.TcpTestSupport.LOCAL_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.RECV_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.REMOTE_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.SEND_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN_ACK;
import static dev.nstun.stack.tcp.TcpTestSupport.established;
import static dev.nstun.stack.tcp.TcpTestSupport.fromSyn;
import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static dev.nstun.stack.tcp.TcpTestSupport.pattern;
import static dev.nstun.stack.tcp.TcpTestSupport.readAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recv;
import static dev.nstun.stack.tcp.TcpTestSupport.recvAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recvNothing;
import static dev.nstun.stack.tcp.TcpTestSupport.send;
import static dev.nstun.stack.tcp.TcpTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** ESTABLISHED: receiving, reassembly, acknowledging, sending, and the per-segment options. */
class TcpEstablishedTest {

    /** A connection whose receive buffer holds 4096 bytes, so windows close quickly. */
    static TcpConnection establishedWithSmallBuffer() {
        TcpConnection conn = fromSyn(CFG.withBuffers(4096, 65535), SYN);
        conn.accept(0);
        recv(conn, 0, SYN_ACK.withWindow(4096));
        send(conn, 10, SEND_TEMPL);
        return conn;
    }

    /** A connection whose ACKs are delayed by 40 ms after its first {@code quickAcks}, which go at once. */
    static TcpConnection establishedWithDelayedAck(int quickAcks) {
        TcpConnection conn = fromSyn(CFG.withDelayedAck(ms(40), quickAcks), SYN);
        conn.accept(0);
        recv(conn, 0, SYN_ACK);
        send(conn, 10, SEND_TEMPL);
        return conn;
    }

    @Nested
    class Receive {
        @Test
        void inOrderDataIsAcknowledgedAndReadable() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withPayload("abcdef"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals("abcdef", readAll(conn), "read");
        }

        @Test
        void dataBeyondTheWindowIsTrimmed() {
            TcpConnection conn = establishedWithSmallBuffer();
            send(conn, 20, SEND_TEMPL.withPayload(pattern(0, 5000)));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(1 + 4096)).withWindow(0));
            assertEquals(4096, conn.readable(), "readable");
        }

        @Test
        void readingOpensTheWindowOnlyBySwsSteps() {
            TcpConnection conn = establishedWithSmallBuffer();
            send(conn, 20, SEND_TEMPL.withPayload(pattern(0, 4096)));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4097)).withWindow(0));
            conn.read(ByteBuffer.allocate(1000));
            recvNothing(conn, 30);
            conn.read(ByteBuffer.allocate(1000));
            recv(conn, 40, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4097)).withWindow(2000));
        }

        @Test
        void segmentOutsideTheWindowElicitsAck() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + 70_000)).withPayload("x"));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(0, conn.readable(), "readable");
        }

        @Test
        void duplicateSegmentElicitsAck() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withPayload("abc"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            send(conn, 30, SEND_TEMPL.withPayload("abc"));
            recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            assertEquals("abc", readAll(conn), "read");
        }

        @Test
        void zeroWindowStillTakesTheAckOfASegmentAtRcvNxt() {
            TcpConnection conn = establishedWithSmallBuffer();
            send(conn, 20, SEND_TEMPL.withPayload(pattern(0, 4096)));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4097)).withWindow(0));
            write(conn, "hi");
            recv(conn, 21, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withAck(REMOTE_SEQ.plus(4097))
                    .withWindow(0).withPayload("hi"));
            send(conn, 30, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4097)).withAck(LOCAL_SEQ.plus(3)).withPayload("x"));
            recv(conn, 30, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(3)).withAck(REMOTE_SEQ.plus(4097)).withWindow(0));
            assertEquals(LOCAL_SEQ.plus(3).value(), conn.sender().una(), "SND.UNA: the ACK was taken");
            assertEquals(4096, conn.readable(), "readable: the byte was not");
        }

        @Test
        void segmentWithoutAckIsDropped() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.PSH).withPayload("abc"));
            recvNothing(conn, 20);
            assertEquals(0, conn.readable(), "readable");
        }
    }

    @Nested
    class ReadingToAChannel {
        @Test
        void whatTheChannelTakesIsReadAndOpensTheWindow() throws IOException {
            TcpConnection conn = establishedWithSmallBuffer();
            byte[] sent = pattern(0, 4096);
            send(conn, 20, SEND_TEMPL.withPayload(sent));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4097)).withWindow(0));
            Pipe pipe = Pipe.open();
            try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
                assertEquals(4096, conn.readTo(sink), "written to the channel");
                assertEquals(0, conn.readable(), "readable after");
                recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4097)).withWindow(4096));
                ByteBuffer got = ByteBuffer.allocate(4096);
                while (got.hasRemaining()) source.read(got);
                assertArrayEquals(sent, got.array(), "bytes");
            }
        }
    }

    @Nested
    class Reassembly {
        @Test
        void outOfOrderSegmentIsParkedAndDuplicateAckedAtOnce() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4)).withPayload("def"));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(0, conn.readable(), "readable");
            send(conn, 30, SEND_TEMPL.withPayload("abc"));
            recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals("abcdef", readAll(conn), "read");
        }

        @Test
        void segmentsAcrossTheSequenceWrapReassembleInAnyOrder() {
            TcpConnection conn = established();
            byte[] data = pattern(0, 30);
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(21)).withPayload(slice(data, 20, 30)));
            send(conn, 21, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(11)).withPayload(slice(data, 10, 20)));
            send(conn, 22, SEND_TEMPL.withPayload(slice(data, 0, 10)));
            List<Seg> acks = recvAll(conn, 22);
            assertEquals(REMOTE_SEQ.plus(31).value(), acks.get(acks.size() - 1).ack(), "last ACK");
            ByteBuffer got = ByteBuffer.allocate(30);
            conn.read(got);
            assertArrayEquals(data, got.array(), "bytes");
        }

        @Test
        void finAheadOfAHoleWaitsForTheData() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN).withSeq(REMOTE_SEQ.plus(4)).withPayload("def"));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
            send(conn, 30, SEND_TEMPL.withPayload("abc"));
            // The FIN takes a sequence number but no buffer space: the right edge stays where it was.
            recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(8)).withWindow(65528));
            assertEquals(TcpState.CLOSE_WAIT, conn.state(), "state");
            assertFalse(conn.inputShutdown(), "input shut down before reading");
            assertEquals("abcdef", readAll(conn), "read");
            assertTrue(conn.inputShutdown(), "input shut down after reading");
        }
    }

    @Nested
    class DirectReading {
        /** A direct reader that takes at most {@code limit} bytes per offer and keeps them as text. */
        final class Taker implements DirectReader {
            final StringBuilder taken = new StringBuilder();
            int limit = Integer.MAX_VALUE;
            int offers;
            int lastOffered;

            @Override
            public int take(ByteBuffer src, int offset, int length) {
                offers++;
                lastOffered = length;
                int n = Math.min(length, limit);
                for (int i = 0; i < n; i++) taken.append((char) src.get(offset + i));
                return n;
            }
        }

        @Test
        void inOrderDataGoesToTheReaderAndNeverBecomesReadable() {
            TcpConnection conn = established();
            Taker taker = new Taker();
            conn.directReader(taker);
            send(conn, 20, SEND_TEMPL.withPayload("abcdef"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals("abcdef", taker.taken.toString(), "taken");
            assertEquals(0, conn.readable(), "readable");
        }

        @Test
        void whatTheReaderLeavesIsStoredAndReadableInOrder() {
            TcpConnection conn = established();
            Taker taker = new Taker();
            taker.limit = 2;
            conn.directReader(taker);
            send(conn, 20, SEND_TEMPL.withPayload("abcdef"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals("ab", taker.taken.toString(), "taken");
            // Bytes stored ahead: the next in-order segment is stored behind them, not offered.
            send(conn, 30, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(7)).withPayload("gh"));
            assertEquals(1, taker.offers, "offers");
            assertEquals("cdefgh", readAll(conn), "read");
            send(conn, 40, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(9)).withPayload("ij"));
            assertEquals("abij", taker.taken.toString(), "taken once nothing was stored ahead");
        }

        @Test
        void outOfOrderDataIsStoredAndTheSegmentFillingTheHoleTooThenReadingResumes() {
            TcpConnection conn = established();
            Taker taker = new Taker();
            conn.directReader(taker);
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4)).withPayload("def"));
            recv(conn, 20, RECV_TEMPL);
            send(conn, 30, SEND_TEMPL.withPayload("abc"));
            recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals(0, taker.offers, "offers while a hole or the bytes behind it wait");
            assertEquals("abcdef", readAll(conn), "read");
            send(conn, 40, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(7)).withPayload("g"));
            assertEquals("g", taker.taken.toString(), "taken");
        }

        @Test
        void bytesBeyondTheWindowAreTrimmedBeforeTheOffer() {
            TcpConnection conn = establishedWithSmallBuffer();
            Taker taker = new Taker();
            taker.limit = 0;
            conn.directReader(taker);
            send(conn, 20, SEND_TEMPL.withPayload(pattern(0, 5000)));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(1 + 4096)).withWindow(0));
            assertEquals(4096, taker.lastOffered, "offered: the window's worth");
            assertEquals(4096, conn.readable(), "readable: the reader took none of it");
        }
    }

    @Nested
    class Sack {
        TcpConnection establishedWithSack() {
            TcpConnection conn = fromSyn(CFG, SYN.withSackPermitted());
            conn.accept(0);
            recv(conn, 0, SYN_ACK.withSackPermitted());
            send(conn, 10, SEND_TEMPL);
            return conn;
        }

        @Test
        void outOfOrderAcksCarrySackBlocksMostRecentFirst() {
            TcpConnection conn = establishedWithSack();
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4)).withPayload("def"));
            recv(conn, 20, RECV_TEMPL.withSack(REMOTE_SEQ.plus(4), REMOTE_SEQ.plus(7)));
            send(conn, 21, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(10)).withPayload("jkl"));
            recv(conn, 21, RECV_TEMPL.withSack(REMOTE_SEQ.plus(10), REMOTE_SEQ.plus(13), REMOTE_SEQ.plus(4), REMOTE_SEQ.plus(7)));
            send(conn, 22, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(7)).withPayload("ghi"));
            recv(conn, 22, RECV_TEMPL.withSack(REMOTE_SEQ.plus(4), REMOTE_SEQ.plus(13)));
            send(conn, 23, SEND_TEMPL.withPayload("abc"));
            recv(conn, 23, RECV_TEMPL.withAck(REMOTE_SEQ.plus(13)).withWindow(65523));
            assertEquals("abcdefghijkl", readAll(conn), "read");
        }
    }

    @Nested
    class DelayedAck {
        @Test
        void ackWaitsForTheDelayedAckTimer() {
            TcpConnection conn = establishedWithDelayedAck(0);
            send(conn, 20, SEND_TEMPL.withPayload("abc"));
            recvNothing(conn, 20);
            assertEquals(ms(60), conn.pollAt(), "pollAt: the delayed-ACK deadline");
            recvNothing(conn, 59);
            recv(conn, 60, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
        }

        @Test
        void secondFullSegmentIsAcknowledgedAtOnce() {
            TcpConnection conn = establishedWithDelayedAck(0);
            send(conn, 20, SEND_TEMPL.withPayload(pattern(0, 1460)));
            recvNothing(conn, 20);
            send(conn, 21, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1461)).withPayload(pattern(1460, 1460)));
            recv(conn, 21, RECV_TEMPL.withAck(REMOTE_SEQ.plus(2921)).withWindow(65535 - 2920));
        }

        @Test
        void firstSegmentsAreQuickAcked() {
            TcpConnection conn = establishedWithDelayedAck(2);
            send(conn, 20, SEND_TEMPL.withPayload("a"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
            send(conn, 21, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withPayload("b"));
            recv(conn, 21, RECV_TEMPL.withAck(REMOTE_SEQ.plus(3)).withWindow(65533));
            send(conn, 22, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(3)).withPayload("c"));
            recvNothing(conn, 22);
        }

        @Test
        void outOfOrderDataIsAcknowledgedAtOnce() {
            TcpConnection conn = establishedWithDelayedAck(0);
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withPayload("b"));
            recv(conn, 20, RECV_TEMPL);
        }

        @Test
        void inOrderSegmentsOfOneBatchFoldIntoOneAckOfAtMost64KiB() {
            TcpConnection conn = fromSyn(CFG.withBuffers(256 * 1024, 65535).withDelayedAck(ms(40), 1), SYN.withWindowScale(7));
            conn.accept(0);
            recv(conn, 0, SYN_ACK.withWindowScale(3));
            send(conn, 10, SEND_TEMPL);
            // A quick ACK goes with the dispatch after the batch, and opens the scaled window.
            assertFalse(send(conn, 15, SEND_TEMPL.withPayload(pattern(0, 1460))), "segment 0: reply due");
            assertEquals(1, recvAll(conn, 15).size(), "ACKs of segment 0");
            // Segments 1 to 44 are 64240 bytes: their ACK may wait for the end of the batch; the 45th passes 64 KiB.
            for (int n = 1; n <= 44; n++) {
                assertFalse(send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + n * 1460)).withPayload(pattern(n, 1460))),
                        "segment " + n + ": reply due");
            }
            assertTrue(send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + 45 * 1460)).withPayload(pattern(45, 1460))),
                    "segment 45: reply due");
            assertAcks(recvAll(conn, 20), REMOTE_SEQ.plus(1 + 46 * 1460));
            // The batch ends two segments later: RFC 5681 §4.2, their ACK goes with the dispatch after it.
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + 46 * 1460)).withPayload(pattern(46, 1460)));
            send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + 47 * 1460)).withPayload(pattern(47, 1460)));
            assertAcks(recvAll(conn, 20), REMOTE_SEQ.plus(1 + 48 * 1460));
        }

        private static void assertAcks(List<Seg> got, SeqNumber ack) {
            assertEquals(1, got.size(), "ACKs: " + got);
            assertEquals(ack.value(), got.get(0).ack(), "ack: got " + got.get(0));
        }

        @Test
        void outOfOrderSegmentNeverWaitsForTheBatch() {
            TcpConnection conn = establishedWithDelayedAck(0);
            assertTrue(send(conn, 20, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withPayload("b")), "out of order: reply due");
            recv(conn, 20, RECV_TEMPL);
            assertTrue(send(conn, 21, SEND_TEMPL.withPayload("a")), "filling the hole: reply due");
            recv(conn, 21, RECV_TEMPL.withAck(REMOTE_SEQ.plus(3)).withWindow(65533));
        }

        @Test
        void outgoingDataCarriesThePendingAck() {
            TcpConnection conn = establishedWithDelayedAck(0);
            send(conn, 20, SEND_TEMPL.withPayload("abc"));
            write(conn, "xyz");
            recv(conn, 25, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withAck(REMOTE_SEQ.plus(4))
                    .withWindow(65532).withPayload("xyz"));
            send(conn, 30, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4)).withAck(LOCAL_SEQ.plus(4)));
            recvNothing(conn, 60);
        }
    }

    /** A quick ACK of a pushed segment (a request) waits for the reply, never for a timer of a command's Nagle. */
    @Nested
    class AckHeldForTheReply {
        static final Seg REQUEST = SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("GET");

        @Test
        void theRequestsAckRidesOnTheReply() {
            TcpConnection conn = establishedWithDelayedAck(16);
            assertFalse(send(conn, 20, REQUEST), "request: reply due");
            recvNothing(conn, 20);
            assertTrue(conn.holdsAck(), "the request's ACK is held");
            write(conn, "OK");
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withAck(REMOTE_SEQ.plus(4))
                    .withWindow(65532).withPayload("OK"));
            assertFalse(conn.holdsAck(), "the reply carried the ACK");
        }

        @Test
        void aHeldAckGoesAtOnceWhenTheLoopWouldWait() {
            TcpConnection conn = establishedWithDelayedAck(16);
            send(conn, 20, REQUEST);
            recvNothing(conn, 20);
            conn.releaseAck();
            assertEquals(Long.MIN_VALUE, conn.pollAt(), "pollAt: released, due now");
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            // A command's Nagle held the rest of its request for that ACK: it comes at once, and is held in turn.
            send(conn, 20, REQUEST.withSeq(REMOTE_SEQ.plus(4)).withPayload(" /"));
            recvNothing(conn, 20);
            conn.releaseAck();
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(6)).withWindow(65530));
        }

        @Test
        void aHeldAckNeverReleasedGoesAsADelayedAck() {
            TcpConnection conn = establishedWithDelayedAck(16);
            send(conn, 20, REQUEST);
            recvNothing(conn, 20);
            assertEquals(ms(60), conn.pollAt(), "pollAt: the delayed-ACK deadline");
            recvNothing(conn, 59);
            recv(conn, 60, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            assertFalse(conn.holdsAck(), "nothing held once sent");
        }

        @Test
        void aSegmentWithoutPushIsAcknowledgedAtOnce() {
            TcpConnection conn = establishedWithDelayedAck(16);
            send(conn, 20, SEND_TEMPL.withPayload("GET"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
        }

        @Test
        void onceTheQuickAcksAreSpentTheAckIsDelayedNotHeld() {
            TcpConnection conn = establishedWithDelayedAck(1);
            send(conn, 20, REQUEST);
            conn.releaseAck();
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            send(conn, 30, REQUEST.withSeq(REMOTE_SEQ.plus(4)));
            assertFalse(conn.holdsAck(), "no quick ACK left to hold");
            assertTrue(conn.ackWaits(), "a delayed ACK waits");
            recvNothing(conn, 30);
            recv(conn, 70, RECV_TEMPL.withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
        }

        @Test
        void aDelayedAckGoesAtOnceWhenTheLoopWouldWait() {
            TcpConnection conn = establishedWithDelayedAck(0);
            // A command's Nagle algorithm holds the rest of its request until the head is acknowledged.
            send(conn, 20, REQUEST);
            recvNothing(conn, 20);
            conn.releaseAck();
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            assertFalse(conn.ackWaits(), "nothing waits once sent");
        }
    }

    @Nested
    class Send {
        @Test
        void writtenDataGoesOutWithPsh() {
            TcpConnection conn = established();
            write(conn, "hello");
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("hello"));
        }

        @Test
        void dataIsCutIntoMssSegments() {
            TcpConnection conn = established();
            write(conn, pattern(0, 3000));
            List<Seg> got = recvAll(conn, 20);
            assertEquals(3, got.size(), "segments");
            assertEquals(LOCAL_SEQ.plus(1 + 1460).value(), got.get(1).seq(), "second seq");
            assertEquals(80, got.get(2).payload().length, "last length");
            assertEquals(TcpSegment.ACK, got.get(0).flags(), "first flags");
            assertEquals(TcpSegment.ACK | TcpSegment.PSH, got.get(2).flags(), "last flags");
        }

        @Test
        void initialWindowIsTenSegments() {
            TcpConnection conn = established();
            write(conn, pattern(0, 20_000));
            assertEquals(10, recvAll(conn, 20).size(), "segments in the initial window (RFC 6928)");
            recvNothing(conn, 21);
        }

        @Test
        void peerWindowLimitsWhatIsInFlight() {
            TcpConnection conn = established();
            send(conn, 15, SEND_TEMPL.withWindow(3000));
            write(conn, pattern(0, 5000));
            assertEquals(2, recvAll(conn, 20).size(), "segments: 2920 bytes fit, the last 80 would be silly");
            send(conn, 30, SEND_TEMPL.withAck(LOCAL_SEQ.plus(1 + 2920)).withWindow(3000));
            assertEquals(2, recvAll(conn, 30).size(), "segments after the window moved");
        }

        @Test
        void fullSinkStopsDispatchAndKeepsItDue() {
            TcpConnection conn = established();
            write(conn, pattern(0, 3000));
            TcpTestSupport.Sink one = new TcpTestSupport.Sink(1);
            assertEquals(1, conn.dispatch(ms(20), one), "emitted into a sink with room for one");
            assertEquals(Long.MIN_VALUE, conn.pollAt(), "pollAt: still due");
            assertEquals(2, recvAll(conn, 20).size(), "the rest");
        }

        @Test
        void aChannelReadsIntoTheSendBufferOnceItHasRoomThere() throws IOException {
            TcpConnection conn = established();
            assertEquals(0, conn.writableInPlace(), "room in place before the send buffer has memory");
            write(conn, "a");
            assertEquals(ByteRing.FIRST_ALLOCATION - 1, conn.writableInPlace(), "room in place: what its first block holds");
            Pipe pipe = Pipe.open();
            try (Pipe.SourceChannel source = pipe.source()) {
                try (Pipe.SinkChannel sink = pipe.sink()) {
                    sink.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                }
                assertEquals(5, conn.writeFrom(source, 100), "read from the channel");
                assertEquals(-1, conn.writeFrom(source, 100), "its end of stream");
            }
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("ahello"));
        }

        @Test
        void buffersGrowOnlyWithUse() {
            TcpConnection conn = established();
            int idle = conn.bufferBytesAllocated();
            assertTrue(idle <= 32 * 1024, "idle connection allocates " + idle + " bytes, want at most 32 KiB");
            write(conn, pattern(0, 60_000));
            int busy = conn.bufferBytesAllocated();
            assertTrue(busy <= 16 * 1024 + CFG.sendBufferSize(), "busy connection allocates " + busy + " bytes");
        }
    }

    @Nested
    class Timestamps {
        TcpConnection establishedWithTimestamps() {
            TcpConnection conn = fromSyn(CFG, SYN.withTimestamps(1000, 0));
            conn.accept(0);
            recv(conn, 0, SYN_ACK.withTimestamps(Seg.ANY_TS, 1000));
            send(conn, 10, SEND_TEMPL.withTimestamps(1010, 0));
            return conn;
        }

        @Test
        void segmentsEchoTheLatestTsValAndTickInMilliseconds() {
            TcpConnection conn = fromSyn(CFG, SYN.withTimestamps(1000, 0));
            conn.accept(0);
            int synAckTsVal = recvAll(conn, 0).get(0).tsVal();
            send(conn, 10, SEND_TEMPL.withTimestamps(1010, synAckTsVal));
            send(conn, 20, SEND_TEMPL.withTimestamps(1020, synAckTsVal).withPayload("abc"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532).withTimestamps(synAckTsVal + 20, 1020));
        }

        @Test
        void pawsDropsASegmentWithAnOlderTimestamp() {
            TcpConnection conn = establishedWithTimestamps();
            send(conn, 20, SEND_TEMPL.withTimestamps(1020, 0).withPayload("abc"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532).withTimestamps(Seg.ANY_TS, 1020));
            send(conn, 30, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(4)).withTimestamps(1015, 0).withPayload("def"));
            recv(conn, 30, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532).withTimestamps(Seg.ANY_TS, 1020));
            assertEquals("abc", readAll(conn), "read");
        }

        @Test
        void dataSegmentsCarryTimestampsAndLeaveRoomForThem() {
            TcpConnection conn = establishedWithTimestamps();
            write(conn, pattern(0, 3000));
            List<Seg> got = recvAll(conn, 20);
            assertEquals(1448, got.get(0).payload().length, "payload: MSS less the 12 option bytes");
            assertEquals(1010, got.get(0).tsEcr(), "TSecr");
        }
    }

    @Nested
    class WindowScaling {
        @Test
        void windowsAreScaledBothWays() {
            TcpConnection conn = fromSyn(CFG.withBuffers(256 * 1024, 256 * 1024), SYN.withWindowScale(2));
            conn.accept(0);
            recv(conn, 0, SYN_ACK.withWindowScale(3));
            send(conn, 10, SEND_TEMPL.withWindow(1000));
            assertEquals(4000, conn.sender().window(), "SND.WND: 1000 << 2");
            send(conn, 20, SEND_TEMPL.withWindow(1000).withPayload("abc"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow((256 * 1024 - 8) >> 3));
        }
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
