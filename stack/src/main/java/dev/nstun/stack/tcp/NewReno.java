package dev.nstun.stack.tcp;

/**
 * NewReno congestion control (RFC 5681 §3.1 with RFC 3465's byte counting; recovery per RFC 6582 is
 * the sender's): slow start to ssthresh, then one MSS per window of acknowledged bytes; on loss
 * half the flight.
 */
public final class NewReno implements CongestionControl {
    private final int mss;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE;
    private int bytesAcked;

    public NewReno(int mss) {
        this.mss = mss;
        this.cwnd = CongestionControl.initialWindow(mss);
    }

    @Override
    public int window() {
        return cwnd;
    }

    @Override
    public int slowStartThreshold() {
        return ssthresh;
    }

    @Override
    public void onAck(long nowNanos, int ackedBytes, long srttNanos) {
        if (cwnd < ssthresh) {
            // Slow start (RFC 5681 eq. 2, counting bytes as RFC 3465 allows).
            cwnd = (int) Math.min((long) cwnd + ackedBytes, MAX_WINDOW);
            return;
        }
        // Congestion avoidance: one MSS per cwnd of acknowledged bytes (RFC 5681 §3.1, eq. 3's alternative).
        bytesAcked += ackedBytes;
        if (bytesAcked >= cwnd) {
            bytesAcked -= cwnd;
            cwnd = Math.min(cwnd + mss, MAX_WINDOW);
        }
    }

    @Override
    public void onLoss(long nowNanos, int flightSize) {
        ssthresh = Math.max(flightSize / 2, 2 * mss);
        cwnd = ssthresh;
        bytesAcked = 0;
    }

    @Override
    public void onRecoveryEnd(long nowNanos) {
        cwnd = ssthresh;
    }

    @Override
    public void onIdle(long nowNanos) {
        cwnd = Math.min(cwnd, CongestionControl.initialWindow(mss));
        bytesAcked = 0;
    }

    @Override
    public void onTimeout(long nowNanos, int flightSize, boolean first) {
        if (first) ssthresh = Math.max(flightSize / 2, 2 * mss);
        cwnd = mss;
        bytesAcked = 0;
    }
}
