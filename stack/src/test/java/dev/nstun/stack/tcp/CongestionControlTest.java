package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CongestionControlTest {
    static final int MSS = 1000;

    @Test
    void initialWindowFollowsRfc6928() {
        assertEquals(14600, CongestionControl.initialWindow(1460), "MSS 1460");
        assertEquals(5360, CongestionControl.initialWindow(536), "MSS 536");
        assertEquals(2 * 9000, CongestionControl.initialWindow(9000), "MSS 9000");
    }

    @Nested
    class NewRenoWindow {
        @Test
        void slowStartAddsWhatIsAcknowledged() {
            NewReno cc = new NewReno(MSS);
            cc.onAck(0, 10 * MSS, ms(10));
            assertEquals(20 * MSS, cc.window(), "cwnd");
        }

        @Test
        void congestionAvoidanceAddsOneSegmentPerWindow() {
            NewReno cc = new NewReno(MSS);
            cc.onLoss(0, 40 * MSS);
            assertEquals(20 * MSS, cc.window(), "cwnd after loss: half the flight");
            for (int i = 0; i < 20; i++) cc.onAck(0, MSS, ms(10));
            assertEquals(21 * MSS, cc.window(), "cwnd after a window of ACKs");
        }

        @Test
        void timeoutLeavesOneSegmentAndKeepsSsthreshWhenRepeated() {
            NewReno cc = new NewReno(MSS);
            cc.onTimeout(0, 40 * MSS, true);
            assertEquals(MSS, cc.window(), "cwnd");
            assertEquals(20 * MSS, cc.slowStartThreshold(), "ssthresh");
            cc.onTimeout(0, MSS, false);
            assertEquals(20 * MSS, cc.slowStartThreshold(), "ssthresh after a second timeout");
        }
    }

    @Nested
    class CubicWindow {
        /** Grows a controller to {@code segments} in slow start, then loses. */
        Cubic afterLossAt(int segments) {
            Cubic cc = new Cubic(MSS);
            cc.onAck(0, segments * MSS - cc.window(), -1);
            cc.onLoss(0, segments * MSS);
            return cc;
        }

        @Test
        void lossMultipliesByBeta() {
            Cubic cc = afterLossAt(100);
            assertEquals(70 * MSS, cc.slowStartThreshold(), "ssthresh");
            assertEquals(70 * MSS, cc.window(), "cwnd");
        }

        @Test
        void windowClimbsBackToWmaxAroundK() {
            Cubic cc = afterLossAt(100);
            // K = cbrt(W_max (1 - beta) / C) = cbrt(75) = 4.22 s. A window is acknowledged every 100 ms RTT:
            // long enough that the cubic curve, not the Reno-friendly estimate (§4.3), sets the pace.
            long t = 0;
            int atK = 0;
            while (t < ms(8000)) {
                t += ms(100);
                cc.onAck(t, cc.window(), ms(100));
                if (t == ms(4200)) atK = cc.window() / MSS;
            }
            assertTrue(atK >= 95 && atK <= 105, "cwnd at K: " + atK + " segments, want about W_max = 100");
            assertTrue(cc.window() / MSS > 110, "cwnd after 8 s: " + cc.window() / MSS + " segments, want beyond W_max");
        }

        @Test
        void fastConvergenceLowersWmaxAfterASmallerWindow() {
            Cubic cc = afterLossAt(100);
            cc.onLoss(0, 70 * MSS);
            assertEquals(49 * MSS, cc.window(), "cwnd: 70 * beta");
            // W_max = 70 (1 + beta) / 2 = 59.5, K = 2.97 s; without fast convergence W(2.9 s) would be 69.8.
            long t = 0;
            int peak = 0;
            while (t < ms(2900)) {
                t += ms(100);
                cc.onAck(t, cc.window(), ms(100));
                peak = cc.window() / MSS;
            }
            assertTrue(peak < 67, "cwnd at 2.9 s: " + peak + " segments, want well below 69.8");
        }

        @Test
        void shortRttsGrowAtLeastLikeReno() {
            Cubic cc = afterLossAt(100);
            long t = 0;
            for (int rtt = 0; rtt < 100; rtt++) {
                t += ms(1);
                cc.onAck(t, cc.window(), ms(1));
            }
            assertTrue(cc.window() / MSS >= 70 + 40, "cwnd after 100 RTTs of 1 ms: " + cc.window() / MSS
                    + " segments, want the Reno-friendly growth of at least 0.53 per RTT (RFC 9438 §4.3)");
        }

        @Test
        void timeoutLeavesOneSegment() {
            Cubic cc = afterLossAt(100);
            cc.onTimeout(0, 70 * MSS, true);
            assertEquals(MSS, cc.window(), "cwnd");
        }
    }
}
