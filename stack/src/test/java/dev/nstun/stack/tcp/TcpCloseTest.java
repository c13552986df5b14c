package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.CFG;
import static dev.nstun.stack.tcp.TcpTestSupport.LOCAL_ADDR;
import static dev.nstun.stack.tcp.TcpTestSupport.LOCAL_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.RECV_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.REMOTE_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.SEND_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN_ACK;
import static dev.nstun.stack.tcp.TcpTestSupport.closeWait;
import static dev.nstun.stack.tcp.TcpTestSupport.closing;
import static dev.nstun.stack.tcp.TcpTestSupport.established;
import static dev.nstun.stack.tcp.TcpTestSupport.finWait1;
import static dev.nstun.stack.tcp.TcpTestSupport.finWait2;
import static dev.nstun.stack.tcp.TcpTestSupport.fromSyn;
import static dev.nstun.stack.tcp.TcpTestSupport.lastAck;
import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static dev.nstun.stack.tcp.TcpTestSupport.packet;
import static dev.nstun.stack.tcp.TcpTestSupport.readAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recv;
import static dev.nstun.stack.tcp.TcpTestSupport.recvNothing;
import static dev.nstun.stack.tcp.TcpTestSupport.send;
import static dev.nstun.stack.tcp.TcpTestSupport.timeWait;
import static dev.nstun.stack.tcp.TcpTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** FIN and half-close in both directions, TIME-WAIT, RST both ways, and keepalive. */
class TcpCloseTest {
    static final int ACK_FIN = TcpSegment.ACK | TcpSegment.FIN;

    @Nested
    class FinWait1 {
        @Test
        void finFollowsTheLastDataInTheSameSegment() {
            TcpConnection conn = established();
            write(conn, "bye");
            conn.shutdownOutput();
            recv(conn, 20, RECV_TEMPL.withFlags(ACK_FIN | TcpSegment.PSH).withPayload("bye"));
            assertEquals(0, conn.writable(), "writable after shutdown");
            assertEquals(0, conn.write(ByteBuffer.wrap(new byte[]{1})), "written after shutdown");
        }

        @Test
        void commandMayStillSendAfterOurFin() {
            TcpConnection conn = finWait1();
            send(conn, 30, SEND_TEMPL.withPayload("more"));
            recv(conn, 30, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(5)).withWindow(65531));
            assertEquals("more", readAll(conn), "read");
            assertEquals(TcpState.FIN_WAIT_1, conn.state(), "state");
        }

        @Test
        void ackOfOurFinMovesToFinWait2() {
            finWait2();
        }
    }

    @Nested
    class FinWait2 {
        @Test
        void commandKeepsSendingUntilItsFin() {
            TcpConnection conn = finWait2();
            send(conn, 40, SEND_TEMPL.withAck(LOCAL_SEQ.plus(2)).withPayload("upload"));
            recv(conn, 40, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(7)).withWindow(65529));
            assertEquals("upload", readAll(conn), "read");
        }

        @Test
        void finMovesToTimeWait() {
            TcpConnection conn = timeWait();
            recvNothing(conn, 40); // the command closed second: it holds no TIME-WAIT, so no RST
        }
    }

    @Nested
    class Closing {
        @Test
        void ackOfOurFinMovesToTimeWaitAndEndsTheCommandsTimeWait() {
            TcpConnection conn = closing();
            send(conn, 40, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withAck(LOCAL_SEQ.plus(2)));
            assertEquals(TcpState.TIME_WAIT, conn.state(), "state");
            recv(conn, 40, RECV_TEMPL.withFlags(TcpSegment.RST).withSeq(LOCAL_SEQ.plus(2)).withAck(new SeqNumber(0)).withWindow(0));
        }
    }

    @Nested
    class TimeWait {
        @Test
        void closesAfterTheConfiguredTime() {
            TcpConnection conn = timeWait();
            assertEquals(ms(1040), conn.pollAt(), "pollAt: TIME-WAIT of 1 s");
            recvNothing(conn, 1039);
            assertEquals(TcpState.TIME_WAIT, conn.state(), "state");
            recvNothing(conn, 1040);
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.NONE, conn.closeReason(), "close reason");
        }

        @Test
        void retransmittedFinIsAcknowledgedAndRestartsTheTimer() {
            TcpConnection conn = timeWait();
            send(conn, 500, SEND_TEMPL.withFlags(ACK_FIN).withAck(LOCAL_SEQ.plus(2)));
            recv(conn, 500, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
            assertEquals(ms(1500), conn.pollAt(), "pollAt");
        }

        @Test
        void holdsNoBufferMemoryOnceBothDirectionsAreDone() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withPayload("ping"));
            assertEquals("ping", readAll(conn), "read");
            write(conn, "pong");
            conn.shutdownOutput();
            recv(conn, 20, RECV_TEMPL.withFlags(ACK_FIN | TcpSegment.PSH).withAck(REMOTE_SEQ.plus(5)).withWindow(65531).withPayload("pong"));
            assertTrue(conn.bufferBytesAllocated() > 0, "buffers in use: our FIN is not acknowledged yet");
            send(conn, 30, SEND_TEMPL.withFlags(ACK_FIN).withSeq(REMOTE_SEQ.plus(5)).withAck(LOCAL_SEQ.plus(6)));
            assertEquals(TcpState.TIME_WAIT, conn.state(), "state");
            assertEquals(0, conn.bufferBytesAllocated(), "bytes allocated in TIME-WAIT");
        }

        @Test
        void newSynClosesItForANewConnection() {
            TcpConnection conn = timeWait();
            send(conn, 500, SYN.withSeq(REMOTE_SEQ.plus(100_000)));
            assertTrue(conn.isClosed(), "closed");
            recvNothing(conn, 500);
        }

        @Test
        void oldSynElicitsAnAck() {
            TcpConnection conn = timeWait();
            send(conn, 500, SYN);
            recv(conn, 500, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
            assertEquals(TcpState.TIME_WAIT, conn.state(), "state");
        }
    }

    @Nested
    class CloseWait {
        @Test
        void inputIsShutDownOnceEverythingIsRead() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(ACK_FIN).withPayload("req"));
            recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(5)).withWindow(65531));
            assertEquals(TcpState.CLOSE_WAIT, conn.state(), "state");
            assertFalse(conn.inputShutdown(), "input shut down before reading");
            assertEquals("req", readAll(conn), "read");
            assertTrue(conn.inputShutdown(), "input shut down after reading");
        }

        @Test
        void textAfterTheCommandsFinIsIgnored() {
            TcpConnection conn = closeWait();
            send(conn, 30, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withPayload("late"));
            recvNothing(conn, 30);
            assertEquals(0, conn.readable(), "readable");
            assertTrue(conn.inputShutdown(), "input shut down");
        }

        @Test
        void weKeepSendingAfterTheCommandsFin() {
            TcpConnection conn = closeWait();
            write(conn, "reply");
            recv(conn, 30, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withAck(REMOTE_SEQ.plus(2))
                    .withWindow(65534).withPayload("reply"));
        }
    }

    @Nested
    class LastAck {
        @Test
        void ackOfOurFinClosesAndEndsTheCommandsTimeWait() {
            TcpConnection conn = lastAck();
            send(conn, 40, SEND_TEMPL.withSeq(REMOTE_SEQ.plus(2)).withAck(LOCAL_SEQ.plus(2)));
            assertEquals(TcpState.CLOSED, conn.state(), "state");
            // RST at the command's RCV.NXT, without timestamps (so no PAWS check drops it): its TIME-WAIT ends.
            recv(conn, 40, RECV_TEMPL.withFlags(TcpSegment.RST).withSeq(LOCAL_SEQ.plus(2)).withAck(new SeqNumber(0)).withWindow(0));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.NONE, conn.closeReason(), "close reason");
        }

        @Test
        void finIsResentUntilAcknowledged() {
            TcpConnection conn = lastAck();
            recv(conn, 230, RECV_TEMPL.withFlags(ACK_FIN).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
        }
    }

    @Nested
    class Rst {
        @Test
        void rstAtRcvNxtResetsTheConnection() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.RST));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.RESET, conn.closeReason(), "close reason");
            recvNothing(conn, 20);
        }

        @Test
        void rstInTheWindowButNotAtRcvNxtElicitsAChallengeAck() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.RST).withSeq(REMOTE_SEQ.plus(100)));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        }

        @Test
        void rstOutsideTheWindowIsIgnored() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.RST).withSeq(REMOTE_SEQ.plus(100_000)));
            recvNothing(conn, 20);
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        }

        @Test
        void synInASynchronizedStateElicitsAChallengeAck() {
            TcpConnection conn = established();
            send(conn, 20, SYN.withSeq(REMOTE_SEQ.plus(50)));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        }

        @Test
        void ackOfUnsentDataElicitsAnAckAndIsDropped() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withAck(LOCAL_SEQ.plus(100)).withPayload("abc"));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(0, conn.readable(), "readable");
        }

        @Test
        void ackFarBelowSndUnaElicitsAChallengeAck() {
            TcpConnection conn = established();
            send(conn, 20, SEND_TEMPL.withAck(LOCAL_SEQ.plus(-100_000)).withPayload("abc"));
            recv(conn, 20, RECV_TEMPL);
            assertEquals(0, conn.readable(), "readable");
        }

        @Test
        void abortSendsRstAndThenTheConnectionMayBeForgotten() {
            TcpConnection conn = established();
            conn.abort();
            assertFalse(conn.isClosed(), "closed before the RST went out");
            assertEquals(Long.MIN_VALUE, conn.pollAt(), "pollAt");
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withWindow(0));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.ABORTED, conn.closeReason(), "close reason");
        }

        @Test
        void segmentForAClosedConnectionElicitsRst() {
            TcpConnection conn = established();
            conn.abort();
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withWindow(0));
            send(conn, 30, SEND_TEMPL.withAck(LOCAL_SEQ.plus(1)).withPayload("late"));
            recv(conn, 30, RECV_TEMPL.withFlags(TcpSegment.RST).withWindow(0));
        }

        @Test
        void segmentForNoConnectionIsAnsweredByResetFor() {
            TcpTestSupport.Sink sink = new TcpTestSupport.Sink(10);
            ByteBuffer syn = packet(SYN);
            assertTrue(TcpConnection.resetFor(Seg.ip(syn), Seg.tcp(syn), sink), "answered the SYN");
            ByteBuffer ack = packet(SEND_TEMPL);
            assertTrue(TcpConnection.resetFor(Seg.ip(ack), Seg.tcp(ack), sink), "answered the ACK");
            ByteBuffer rst = packet(SEND_TEMPL.withFlags(TcpSegment.RST));
            assertFalse(TcpConnection.resetFor(Seg.ip(rst), Seg.tcp(rst), sink), "answered a RST");
            assertEquals(2, sink.packets.size(), "packets");
            Seg toSyn = TcpTestSupport.parseOurs(sink.packets.get(0));
            assertEquals(java.util.List.of(), toSyn.differencesFrom(
                    RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withSeq(new SeqNumber(0)).withWindow(0)), "reply to the SYN");
            Seg toAck = TcpTestSupport.parseOurs(sink.packets.get(1));
            assertEquals(java.util.List.of(), toAck.differencesFrom(RECV_TEMPL.withFlags(TcpSegment.RST).withWindow(0)),
                    "reply to the ACK");
            assertEquals(LOCAL_ADDR, ((dev.nstun.stack.wire.Ipv4Packet) Seg.ip(sink.packets.get(0))).source(), "source");
        }
    }

    @Nested
    class Keepalive {
        TcpConnection establishedWithKeepalive() {
            TcpConnection conn = fromSyn(CFG.withKeepalive(ms(10_000), ms(1_000), 2), SYN);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL);
            return conn;
        }

        @Test
        void idleConnectionIsProbed() {
            TcpConnection conn = establishedWithKeepalive();
            recvNothing(conn, 10);
            assertEquals(ms(10_010), conn.pollAt(), "pollAt: idle time after the last segment");
            recv(conn, 10_010, RECV_TEMPL.withSeq(LOCAL_SEQ));
        }

        @Test
        void answeredProbeRestartsTheIdleTime() {
            TcpConnection conn = establishedWithKeepalive();
            recv(conn, 10_010, RECV_TEMPL.withSeq(LOCAL_SEQ));
            send(conn, 10_020, SEND_TEMPL);
            recvNothing(conn, 10_020);
            assertEquals(ms(20_020), conn.pollAt(), "pollAt");
        }

        @Test
        void unansweredProbesResetTheConnection() {
            TcpConnection conn = establishedWithKeepalive();
            recv(conn, 10_010, RECV_TEMPL.withSeq(LOCAL_SEQ));
            recv(conn, 11_010, RECV_TEMPL.withSeq(LOCAL_SEQ));
            recv(conn, 12_010, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withWindow(0));
            assertEquals(CloseReason.TIMED_OUT, conn.closeReason(), "close reason");
        }

        @Test
        void busyConnectionIsNotProbed() {
            TcpConnection conn = establishedWithKeepalive();
            write(conn, "abc");
            recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("abc"));
            assertEquals(ms(220), conn.pollAt(), "pollAt: the RTO, not the keepalive");
        }
    }
}
