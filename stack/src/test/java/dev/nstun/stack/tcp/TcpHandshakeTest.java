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
import static dev.nstun.stack.tcp.TcpTestSupport.packet;
import static dev.nstun.stack.tcp.TcpTestSupport.pattern;
import static dev.nstun.stack.tcp.TcpTestSupport.readAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recv;
import static dev.nstun.stack.tcp.TcpTestSupport.recvAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recvNothing;
import static dev.nstun.stack.tcp.TcpTestSupport.send;
import static dev.nstun.stack.tcp.TcpTestSupport.synReceived;
import static dev.nstun.stack.tcp.TcpTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** SYN-RECEIVED: connect-then-accept, the SYN-ACK and its options, and the handshake's end. */
class TcpHandshakeTest {

    @Nested
    class BeforeAccept {
        @Test
        void nothingIsSentBeforeTheUpstreamConnects() {
            TcpConnection conn = fromSyn(CFG, SYN);
            recvNothing(conn, 0);
            assertEquals(TcpState.SYN_RECEIVED, conn.state(), "state");
            assertEquals(Long.MAX_VALUE, conn.pollAt(), "pollAt: the loop owns the connect timeout");
        }

        @Test
        void refuseAnswersTheSynWithRstAck() {
            TcpConnection conn = fromSyn(CFG, SYN);
            conn.refuse(ms(5));
            assertFalse(conn.isClosed(), "closed before the RST went out");
            recv(conn, 5, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withSeq(new SeqNumber(0)).withWindow(0));
            assertTrue(conn.isClosed(), "closed after the RST");
            assertEquals(CloseReason.REFUSED, conn.closeReason(), "close reason");
        }

        @Test
        void retransmittedSynIsIgnoredWhileTheUpstreamConnects() {
            TcpConnection conn = fromSyn(CFG, SYN);
            send(conn, 1000, SYN);
            recvNothing(conn, 1000);
        }

        @Test
        void rstFromTheCommandClosesTheHalfOpenConnection() {
            TcpConnection conn = fromSyn(CFG, SYN);
            send(conn, 500, SEND_TEMPL.withFlags(TcpSegment.RST));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.RESET, conn.closeReason(), "close reason");
        }

        @Test
        void synWithFinIsNoConnectionRequest() {
            Seg synFin = SYN.withFlags(TcpSegment.SYN | TcpSegment.FIN);
            assertFalse(TcpConnection.isConnectionRequest(Seg.tcp(packet(synFin))), "SYN|FIN is a request");
            assertThrows(IllegalArgumentException.class, () -> fromSyn(CFG, synFin));
        }
    }

    @Nested
    class SynAck {
        @Test
        void acceptSendsSynAckWithOurMss() {
            synReceived();
        }

        @Test
        void synAckOffersExactlyTheOptionsTheSynOffered() {
            Seg syn = SYN.withWindowScale(7).withSackPermitted().withTimestamps(1000, 0);
            TcpConnection conn = fromSyn(CFG.withBuffers(256 * 1024, 256 * 1024), syn);
            conn.accept(0);
            recv(conn, 0, SYN_ACK.withWindowScale(3).withSackPermitted().withTimestamps(Seg.ANY_TS, 1000));
        }

        @Test
        void optionsTurnedOffInTheConfigAreNotOffered() {
            Seg syn = SYN.withWindowScale(7).withSackPermitted().withTimestamps(1000, 0);
            TcpConnection conn = fromSyn(CFG.withOptions(false, false, false), syn);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
        }

        @Test
        void ourMssIsTheMtuLessHeadersWhateverThePeerOffers() {
            TcpConnection conn = fromSyn(CFG, SYN.withMss(9000));
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL);
            write(conn, pattern(0, 3000));
            List<Seg> got = recvAll(conn, 20);
            assertEquals(3, got.size(), "segments");
            assertEquals(1460, got.get(0).payload().length, "first segment: clamped to our MTU");
            assertEquals(80, got.get(2).payload().length, "last segment");
        }

        @Test
        void missingMssOptionMeans536() {
            TcpConnection conn = fromSyn(CFG, SYN.withMss(-1));
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL);
            write(conn, pattern(0, 1000));
            List<Seg> got = recvAll(conn, 20);
            assertEquals(536, got.get(0).payload().length, "first segment");
            assertEquals(464, got.get(1).payload().length, "second segment");
        }

        @Test
        void retransmittedSynElicitsTheSynAckAgain() {
            TcpConnection conn = synReceived();
            send(conn, 500, SYN);
            recv(conn, 500, SYN_ACK);
        }

        @Test
        void synAckIsRetransmittedWithBackoffThenDropped() {
            TcpConnection conn = synReceived();
            assertEquals(ms(1000), conn.pollAt(), "pollAt: the initial RTO");
            recvNothing(conn, 999);
            long at = 1000;
            for (int i = 0; i < CFG.maxSynAckRetransmissions(); i++) {
                recv(conn, at, SYN_ACK);
                at += 2000L << i;
            }
            recvNothing(conn, at);
            assertTrue(conn.isClosed(), "closed without a RST");
            assertEquals(CloseReason.TIMED_OUT, conn.closeReason(), "close reason");
        }
    }

    @Nested
    class Completion {
        @Test
        void ackOfTheSynAckEstablishes() {
            TcpConnection conn = established();
            recvNothing(conn, 20);
            assertEquals(Long.MAX_VALUE, conn.pollAt(), "pollAt: nothing to do");
        }

        @Test
        void handshakeRttIsSampled() {
            TcpConnection conn = established();
            assertEquals(ms(10), conn.sender().rtt().srtt(), "SRTT");
            assertEquals(ms(200), conn.sender().rtt().timeout(), "RTO: the minimum");
        }

        @Test
        void unacceptableAckElicitsRstAtItsAckNumber() {
            TcpConnection conn = synReceived();
            send(conn, 10, SEND_TEMPL.withAck(LOCAL_SEQ.plus(5)));
            recv(conn, 10, RECV_TEMPL.withFlags(TcpSegment.RST).withSeq(LOCAL_SEQ.plus(5)).withWindow(0));
            assertEquals(TcpState.SYN_RECEIVED, conn.state(), "state");
        }

        @Test
        void rstAtRcvNxtClosesIt() {
            TcpConnection conn = synReceived();
            send(conn, 10, SEND_TEMPL.withFlags(TcpSegment.RST));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.RESET, conn.closeReason(), "close reason");
        }

        @Test
        void dataOnTheHandshakeAckIsTaken() {
            TcpConnection conn = synReceived();
            send(conn, 10, SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("abc"));
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
            recv(conn, 10, RECV_TEMPL.withAck(REMOTE_SEQ.plus(4)).withWindow(65532));
            assertEquals("abc", readAll(conn), "read");
        }

        @Test
        void dataWrittenEarlyWaitsForTheHandshake() {
            TcpConnection conn = synReceived();
            write(conn, "220 ready");
            recvNothing(conn, 5);
            send(conn, 10, SEND_TEMPL);
            recv(conn, 10, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("220 ready"));
        }

        @Test
        void shutdownBeforeTheHandshakeSendsFinAfterIt() {
            TcpConnection conn = synReceived();
            conn.shutdownOutput();
            recvNothing(conn, 5);
            send(conn, 10, SEND_TEMPL);
            assertEquals(TcpState.FIN_WAIT_1, conn.state(), "state");
            recv(conn, 10, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN));
        }

        @Test
        void writesAreBoundedByTheSendBuffer() {
            TcpConnection conn = established();
            assertEquals(CFG.sendBufferSize(), conn.writable(), "writable");
            int n = conn.write(ByteBuffer.wrap(new byte[100_000]));
            assertEquals(CFG.sendBufferSize(), n, "written");
            assertEquals(0, conn.writable(), "writable after");
        }
    }
}
