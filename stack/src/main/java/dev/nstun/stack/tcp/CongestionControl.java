package dev.nstun.stack.tcp;

/**
 * The congestion controller of our sending direction (RFC 5681 §3): it owns cwnd and ssthresh, in
 * bytes; the sender tells it what happened and asks how much may be in flight. Loss detection and
 * recovery (which segments to resend, RFC 6675) stay in the sender: a controller only sizes windows.
 *
 * <p>Implementations: {@link NewReno} (RFC 5681 / RFC 6582) and {@link Cubic} (RFC 9438).
 */
public interface CongestionControl {

    /** Makes a controller for one connection once the sender's MSS is known. */
    @FunctionalInterface
    interface Factory {
        /** Returns a new controller for segments of {@code mss} bytes. */
        CongestionControl create(int mss);
    }

    /** Returns the congestion window, in bytes. */
    int window();

    /** Returns the slow-start threshold, in bytes ({@link Integer#MAX_VALUE} before the first loss). */
    int slowStartThreshold();

    /**
     * New data was cumulatively acknowledged outside fast recovery while the window was in use:
     * grow (slow start, or congestion avoidance). {@code srttNanos} is -1 before the first sample.
     */
    void onAck(long nowNanos, int ackedBytes, long srttNanos);

    /** A loss was detected by duplicate ACKs or SACK: fast recovery starts (RFC 5681 §3.2, RFC 6675 §5). */
    void onLoss(long nowNanos, int flightSize);

    /** Fast recovery ended with an ACK of everything outstanding when it began. */
    void onRecoveryEnd(long nowNanos);

    /**
     * The retransmission timer expired (RFC 5681 §3.1 eq. 4): shrink to the loss window. {@code first}
     * is false when it expires again for the same data, which leaves ssthresh alone.
     */
    void onTimeout(long nowNanos, int flightSize, boolean first);

    /**
     * Nothing was in flight for longer than an RTO (RFC 5681 §4.1): the window no longer reflects the
     * path; shrink it to the restart window, min(initial window, cwnd).
     */
    void onIdle(long nowNanos);

    /** Returns the initial window of RFC 6928 for segments of {@code mss} bytes: min(10 MSS, max(2 MSS, 14600)). */
    static int initialWindow(int mss) {
        return Math.min(10 * mss, Math.max(2 * mss, 14600));
    }

    /** Largest congestion window a controller grows to; far beyond any send buffer. */
    int MAX_WINDOW = 1 << 30;
}
