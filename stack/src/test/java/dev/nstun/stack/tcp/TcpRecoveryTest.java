package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.CFG;
import static dev.nstun.stack.tcp.TcpTestSupport.LOCAL_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.MSS;
import static dev.nstun.stack.tcp.TcpTestSupport.RECV_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.REMOTE_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.SEND_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN_ACK;
import static dev.nstun.stack.tcp.TcpTestSupport.established;
import static dev.nstun.stack.tcp.TcpTestSupport.fromSyn;
import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static dev.nstun.stack.tcp.TcpTestSupport.pattern;
import static dev.nstun.stack.tcp.TcpTestSupport.recv;
import static dev.nstun.stack.tcp.TcpTestSupport.recvAll;
import static dev.nstun.stack.tcp.TcpTestSupport.recvNothing;
import static dev.nstun.stack.tcp.TcpTestSupport.send;
import static dev.nstun.stack.tcp.TcpTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** ESTABLISHED, sending side under loss: retransmission timer, fast retransmit, SACK recovery, cwnd, zero windows. */
class TcpRecoveryTest {

    /** Returns the left edge of our {@code n}th full segment (1-based) of a transfer starting after the SYN. */
    static SeqNumber segStart(int n) {
        return LOCAL_SEQ.plus(1 + (n - 1) * MSS);
    }

    /** The segment we send as the {@code n}th full segment of {@code data}. */
    static Seg dataSeg(byte[] data, int n) {
        int from = (n - 1) * MSS;
        int to = Math.min(from + MSS, data.length);
        int flags = TcpSegment.ACK | (to == data.length ? TcpSegment.PSH : 0);
        return RECV_TEMPL.withFlags(flags).withSeq(segStart(n)).withPayload(Arrays.copyOfRange(data, from, to));
    }

    static TcpConnection establishedWithSack() {
        TcpConnection conn = fromSyn(CFG, SYN.withSackPermitted());
        conn.accept(0);
        recv(conn, 0, SYN_ACK.withSackPermitted());
        send(conn, 10, SEND_TEMPL);
        return conn;
    }

    @Nested
    class Retransmission {
        @Test
        void unacknowledgedDataIsResentWhenTheRtoExpires() {
            TcpConnection conn = established();
            write(conn, "abc");
            Seg data = RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("abc");
            recv(conn, 20, data);
            assertEquals(ms(220), conn.pollAt(), "pollAt: RTO 200 ms after sending");
            recvNothing(conn, 219);
            recv(conn, 220, data);
        }

        @Test
        void rtoBacksOffExponentially() {
            TcpConnection conn = established();
            write(conn, "abc");
            Seg data = RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("abc");
            recv(conn, 20, data);
            recv(conn, 220, data);
            recvNothing(conn, 619);
            recv(conn, 620, data);
            recvNothing(conn, 1419);
            recv(conn, 1420, data);
        }

        @Test
        void ackStopsTheTimer() {
            TcpConnection conn = established();
            write(conn, "abc");
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withAck(LOCAL_SEQ.plus(4)));
            recvNothing(conn, 1000);
            assertEquals(Long.MAX_VALUE, conn.pollAt(), "pollAt");
        }

        @Test
        void tooManyTimeoutsResetTheConnection() {
            TcpConnection conn = fromSyn(CFG.withRetransmission(ms(1000), ms(200), ms(60_000), 3, 5), SYN);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL);
            write(conn, "abc");
            recvAll(conn, 20);
            recvAll(conn, 220);
            recvAll(conn, 620);
            recvAll(conn, 1420);
            recv(conn, 3020, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withSeq(LOCAL_SEQ.plus(4)).withWindow(0));
            assertTrue(conn.isClosed(), "closed");
            assertEquals(CloseReason.TIMED_OUT, conn.closeReason(), "close reason");
        }

        @Test
        void ackOfARetransmissionGivesNoRttSampleButClearsTheBackoff() {
            TcpConnection conn = established();
            write(conn, "abc");
            recvAll(conn, 20);
            recvAll(conn, 220);
            send(conn, 230, SEND_TEMPL.withAck(LOCAL_SEQ.plus(4)));
            assertEquals(ms(10), conn.sender().rtt().srtt(), "SRTT: Karn's rule");
            assertEquals(0, conn.sender().rtt().backoff(), "back-off");
        }

        @Test
        void finIsResentLikeData() {
            TcpConnection conn = TcpTestSupport.finWait1();
            recv(conn, 220, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN));
        }
    }

    @Nested
    class FastRetransmit {
        @Test
        void threeDuplicateAcksResendTheFirstSegment() {
            TcpConnection conn = established();
            byte[] data = pattern(0, 5 * MSS);
            write(conn, data);
            assertEquals(5, recvAll(conn, 20).size(), "segments");
            send(conn, 30, SEND_TEMPL);
            send(conn, 31, SEND_TEMPL);
            recvNothing(conn, 31);
            send(conn, 32, SEND_TEMPL);
            recv(conn, 32, dataSeg(data, 1));
        }

        @Test
        void partialAckResendsTheNextSegmentAndFullAckEndsRecovery() {
            TcpConnection conn = established();
            byte[] data = pattern(0, 5 * MSS);
            write(conn, data);
            recvAll(conn, 20);
            for (int i = 0; i < 3; i++) send(conn, 30 + i, SEND_TEMPL);
            recv(conn, 32, dataSeg(data, 1));
            send(conn, 40, SEND_TEMPL.withAck(segStart(2)));
            recv(conn, 40, dataSeg(data, 2));
            send(conn, 50, SEND_TEMPL.withAck(segStart(6)));
            recvNothing(conn, 50);
            CongestionControl cc = conn.sender().congestionControl();
            assertEquals(5 * MSS / 2, cc.slowStartThreshold(), "ssthresh: half the flight");
            assertEquals(5 * MSS / 2, cc.window(), "cwnd after recovery: ssthresh");
        }

        @Test
        void windowUpdateIsNoDuplicateAck() {
            TcpConnection conn = established();
            write(conn, pattern(0, 5 * MSS));
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withWindow(60000));
            send(conn, 31, SEND_TEMPL.withWindow(50000));
            send(conn, 32, SEND_TEMPL.withWindow(40000));
            recvNothing(conn, 32);
        }
    }

    @Nested
    class Sack {
        @Test
        void onlyTheSegmentTheSackBlocksShowMissingIsResent() {
            TcpConnection conn = establishedWithSack();
            byte[] data = pattern(0, 5 * MSS);
            write(conn, data);
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withSack(segStart(2), segStart(3)));
            recvNothing(conn, 30);
            send(conn, 31, SEND_TEMPL.withSack(segStart(2), segStart(4)));
            recvNothing(conn, 31);
            send(conn, 32, SEND_TEMPL.withSack(segStart(2), segStart(5)));
            recv(conn, 32, dataSeg(data, 1));
            send(conn, 40, SEND_TEMPL.withAck(segStart(6)));
            recvNothing(conn, 40);
        }

        @Test
        void everyHoleIsResentAsThePipeAllows() {
            TcpConnection conn = establishedWithSack();
            byte[] data = pattern(0, 6 * MSS);
            write(conn, data);
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withSack(segStart(2), segStart(3)));
            send(conn, 31, SEND_TEMPL.withSack(segStart(4), segStart(5), segStart(2), segStart(3)));
            send(conn, 32, SEND_TEMPL.withSack(segStart(6), segStart(7), segStart(4), segStart(5), segStart(2), segStart(3)));
            recv(conn, 32, dataSeg(data, 1));
            send(conn, 40, SEND_TEMPL.withAck(segStart(3)).withSack(segStart(6), segStart(7), segStart(4), segStart(5)));
            List<Seg> got = recvAll(conn, 40);
            assertEquals(2, got.size(), "segments: " + got);
            assertEquals(List.of(), got.get(0).differencesFrom(dataSeg(data, 3)), "first");
            assertEquals(List.of(), got.get(1).differencesFrom(dataSeg(data, 5)), "second");
        }

        @Test
        void sackBlocksBeyondSndNxtAreIgnored() {
            TcpConnection conn = establishedWithSack();
            write(conn, pattern(0, 2 * MSS));
            recvAll(conn, 20);
            for (int i = 0; i < 3; i++) send(conn, 30 + i, SEND_TEMPL.withSack(segStart(5), segStart(9)));
            recvNothing(conn, 32);
            assertEquals(2 * MSS, conn.sender().pipe(), "pipe: nothing believed SACKed");
        }
    }

    @Nested
    class CongestionControlled {
        @Test
        void slowStartGrowsTheWindowByWhatIsAcknowledged() {
            TcpConnection conn = established();
            write(conn, pattern(0, 60_000));
            assertEquals(10, recvAll(conn, 20).size(), "segments in the initial window");
            send(conn, 30, SEND_TEMPL.withAck(segStart(11)));
            assertEquals(20 * MSS, conn.sender().congestionControl().window(), "cwnd");
            assertEquals(20, recvAll(conn, 30).size(), "segments after the ACK");
        }

        @Test
        void timeoutShrinksTheWindowToOneSegmentThenSlowStarts() {
            TcpConnection conn = established();
            byte[] data = pattern(0, 5 * MSS);
            write(conn, data);
            recvAll(conn, 20);
            recv(conn, 220, dataSeg(data, 1));
            CongestionControl cc = conn.sender().congestionControl();
            assertEquals(MSS, cc.window(), "cwnd: the loss window");
            assertEquals(5 * MSS / 2, cc.slowStartThreshold(), "ssthresh");
            send(conn, 230, SEND_TEMPL.withAck(segStart(2)));
            List<Seg> got = recvAll(conn, 230);
            assertEquals(2, got.size(), "segments after one ACK in slow start");
            assertEquals(List.of(), got.get(0).differencesFrom(dataSeg(data, 2)), "go-back-N resends segment 2");
        }

        @Test
        void idleConnectionRestartsFromTheInitialWindow() {
            TcpConnection conn = established();
            write(conn, pattern(0, 10 * MSS));
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withAck(segStart(11)));
            assertEquals(20 * MSS, conn.sender().congestionControl().window(), "cwnd after a window of ACKs");
            write(conn, pattern(0, 30 * MSS));
            assertEquals(10, recvAll(conn, 1000).size(), "segments after a second idle (RFC 5681 §4.1)");
        }

        @Test
        void cubicIsTheDefaultController() {
            assertInstanceOf(Cubic.class, TcpConfig.defaults(1500).congestionControl().create(MSS));
        }
    }

    @Nested
    class ZeroWindowProbe {
        @Test
        void zeroWindowIsProbedWithBackoffUntilItOpens() {
            TcpConnection conn = established();
            send(conn, 15, SEND_TEMPL.withWindow(0));
            write(conn, "abc");
            recvNothing(conn, 20);
            assertEquals(ms(220), conn.pollAt(), "pollAt: the persist timer");
            Seg probe = RECV_TEMPL.withSeq(LOCAL_SEQ);
            recv(conn, 220, probe);
            send(conn, 221, SEND_TEMPL.withWindow(0));
            recvNothing(conn, 619);
            recv(conn, 620, probe);
            send(conn, 700, SEND_TEMPL);
            recv(conn, 700, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.PSH).withPayload("abc"));
        }

        @Test
        void answeredProbesNeverGiveUp() {
            TcpConnection conn = fromSyn(CFG.withRetransmission(ms(1000), ms(200), ms(1000), 2, 5), SYN);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL.withWindow(0));
            write(conn, "abc");
            recvNothing(conn, 20);
            long at = 220;
            for (int i = 0; i < 10; i++) {
                recv(conn, at, RECV_TEMPL.withSeq(LOCAL_SEQ));
                send(conn, at + 1, SEND_TEMPL.withWindow(0));
                at += Math.min(200L << (i + 1), 1000);
            }
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        }

        @Test
        void unansweredProbesResetTheConnection() {
            TcpConnection conn = fromSyn(CFG.withRetransmission(ms(1000), ms(200), ms(60_000), 2, 5), SYN);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL.withWindow(0));
            write(conn, "abc");
            recvNothing(conn, 20);
            recv(conn, 220, RECV_TEMPL.withSeq(LOCAL_SEQ));
            recv(conn, 620, RECV_TEMPL.withSeq(LOCAL_SEQ));
            recv(conn, 1420, RECV_TEMPL.withFlags(TcpSegment.RST | TcpSegment.ACK).withWindow(0));
            assertEquals(CloseReason.TIMED_OUT, conn.closeReason(), "close reason");
        }

        @Test
        void peerThatShrankItsWindowToZeroIsNotTimedOutWhileItAnswers() {
            TcpConnection conn = fromSyn(CFG.withRetransmission(ms(1000), ms(200), ms(1000), 2, 5), SYN);
            conn.accept(0);
            recv(conn, 0, SYN_ACK);
            send(conn, 10, SEND_TEMPL);
            write(conn, "abc");
            recvAll(conn, 20);
            send(conn, 30, SEND_TEMPL.withWindow(0));
            recvAll(conn, 30);
            for (int i = 0; i < 6; i++) {
                long at = conn.pollAt() / TcpTestSupport.MS;
                assertEquals(1, recvAll(conn, at).size(), "resent at " + at + " ms");
                send(conn, at + 1, SEND_TEMPL.withWindow(0));
                recvAll(conn, at + 1);
            }
            assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        }

        @Test
        void smallWindowIsFilledOnlyWhenThePersistTimerFires() {
            TcpConnection conn = established();
            send(conn, 15, SEND_TEMPL.withWindow(100));
            write(conn, pattern(0, 1000));
            recvNothing(conn, 20);
            recv(conn, 220, RECV_TEMPL.withPayload(pattern(0, 100)));
        }
    }
}
