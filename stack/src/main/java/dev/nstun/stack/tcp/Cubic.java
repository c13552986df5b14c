package dev.nstun.stack.tcp;

/**
 * CUBIC congestion control (RFC 9438): after a loss the window follows
 * {@code W(t) = C (t - K)^3 + W_max} (§4.2), never slower than the Reno-friendly estimate (§4.3),
 * with fast convergence (§4.7) and β = 0.7. Windows are computed in segments as doubles, as the RFC
 * writes them, and kept in bytes for the sender.
 *
 * <p>No HyStart: slow start is the standard one (RFC 5681).
 */
public final class Cubic implements CongestionControl {
    /** β_cubic: the multiplicative decrease (RFC 9438 §4.6). */
    static final double BETA = 0.7;
    /** C: the cubic's aggressiveness, in segments per second cubed (RFC 9438 §5.1). */
    static final double C = 0.4;
    /** α_cubic of the Reno-friendly region (RFC 9438 §4.3). */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private final int mss;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE;
    /** W_max in segments: the window before the last reduction. */
    private double wMax;
    /** cwnd before the last reduction, in segments (cwnd_prior). */
    private double cwndPrior;
    /** Whether a congestion-avoidance epoch runs, and since when. */
    private boolean epochStarted;
    private long epochStart;
    private double k;
    /** W_est of the Reno-friendly region, in segments. */
    private double wEst;
    /** Growth not yet added to cwnd, in bytes (the per-ACK increments are fractions). */
    private double pending;

    public Cubic(int mss) {
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
            cwnd = (int) Math.min((long) cwnd + ackedBytes, MAX_WINDOW);
            return;
        }
        double segments = (double) cwnd / mss;
        if (!epochStarted) {
            // A new epoch (§4.2): K from how far below W_max the window now is.
            epochStarted = true;
            epochStart = nowNanos;
            if (segments < wMax) {
                k = Math.cbrt((wMax - segments) / C);
            } else {
                k = 0;
                wMax = segments;
            }
            wEst = segments;
        }
        double rtt = srttNanos > 0 ? srttNanos / 1e9 : 0;
        double t = (nowNanos - epochStart) / 1e9;
        double acked = (double) ackedBytes / mss;
        // Reno-friendly estimate (§4.3): α_cubic per window until W_est reaches cwnd_prior, then 1.
        double alpha = wEst >= cwndPrior ? 1 : ALPHA;
        wEst += alpha * acked / segments;
        double cubic = cubicWindow(t);
        double grown;
        if (cubic < wEst) {
            grown = wEst;
        } else {
            // Concave or convex region (§4.4, §4.5): move towards W(t + RTT), at most 1.5 cwnd.
            double target = Math.min(Math.max(cubicWindow(t + rtt), segments), 1.5 * segments);
            grown = segments + (target - segments) / segments * acked;
        }
        pending += (grown - segments) * mss;
        if (pending >= 1) {
            int add = (int) Math.min(pending, MAX_WINDOW - (double) cwnd);
            cwnd += add;
            pending -= add;
        }
    }

    @Override
    public void onLoss(long nowNanos, int flightSize) {
        reduce();
        cwnd = ssthresh;
    }

    @Override
    public void onRecoveryEnd(long nowNanos) {
        cwnd = Math.max(cwnd, ssthresh);
    }

    @Override
    public void onIdle(long nowNanos) {
        cwnd = Math.min(cwnd, CongestionControl.initialWindow(mss));
        epochStarted = false;
        pending = 0;
    }

    @Override
    public void onTimeout(long nowNanos, int flightSize, boolean first) {
        if (first) reduce();
        cwnd = mss;
    }

    /** The multiplicative decrease with fast convergence (§4.6, §4.7); starts a new epoch at the next ACK. */
    private void reduce() {
        double segments = (double) cwnd / mss;
        wMax = segments < wMax ? segments * (1 + BETA) / 2 : segments;
        cwndPrior = segments;
        ssthresh = (int) Math.max(cwnd * BETA, 2.0 * mss);
        epochStarted = false;
        pending = 0;
    }

    /** Returns W_cubic(t) of §4.2, in segments. */
    private double cubicWindow(double t) {
        double d = t - k;
        return C * d * d * d + wMax;
    }
}
