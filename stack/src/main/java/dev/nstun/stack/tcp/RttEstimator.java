package dev.nstun.stack.tcp;

/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from round-trip samples (§2), the RTO
 * clamped to the configured bounds, and exponential back-off (§5.5) counted separately so that a
 * new sample starts from the measured value again.
 */
final class RttEstimator {
    /** Clock granularity G of RFC 6298 §2: our clock is in nanoseconds, but samples are meaningful to about this. */
    static final long GRANULARITY_NANOS = 1_000_000;

    private final long minRto;
    private final long maxRto;
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private int backoff;

    RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.rto = Math.min(Math.max(initialRto, minRto), maxRto);
    }

    /** Takes one round-trip sample (RFC 6298 §2.2 for the first, §2.3 after it) and clears the back-off. */
    void sample(long rttNanos) {
        long r = Math.max(rttNanos, 0);
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.min(Math.max(srtt + Math.max(GRANULARITY_NANOS, 4 * rttvar), minRto), maxRto);
        backoff = 0;
    }

    /** Doubles the timeout (RFC 6298 §5.5), up to the maximum. */
    void backOff() {
        if (backoff < 30) backoff++;
    }

    /** Forgets the back-off: the path answered. */
    void resetBackoff() {
        backoff = 0;
    }

    /** Returns the current timeout: the RTO doubled once per back-off, capped at the maximum. */
    long timeout() {
        long t = rto;
        for (int i = 0; i < backoff && t < maxRto; i++) t <<= 1;
        return Math.min(t, maxRto);
    }

    /** Returns the smoothed round-trip time, or -1 before the first sample. */
    long srtt() {
        return srtt;
    }

    /** Returns the round-trip variation. */
    long rttvar() {
        return rttvar;
    }

    /** Returns the un-backed-off RTO. */
    long rto() {
        return rto;
    }

    /** Returns how many times the timeout has been doubled. */
    int backoff() {
        return backoff;
    }
}
