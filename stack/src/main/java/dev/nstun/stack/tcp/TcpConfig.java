package dev.nstun.stack.tcp;

import java.util.Objects;

/**
 * What every TCP connection of one stack shares. All times are in nanoseconds of the loop's clock.
 *
 * @param mtu                   the TUN's MTU: every packet we build fits it, and our MSS option is it minus the headers
 * @param receiveBufferSize     ceiling of one connection's receive buffer, so of the window it advertises
 * @param sendBufferSize        ceiling of one connection's send buffer (unacknowledged plus unsent bytes)
 * @param windowScaling         whether to offer window scaling (RFC 7323 §2) when the peer does
 * @param sack                  whether to accept SACK (RFC 2018) when the peer offers it
 * @param timestamps            whether to accept timestamps (RFC 7323 §3) when the peer offers them
 * @param initialRtoNanos       RTO before the first RTT sample (RFC 6298 §2.1: 1 s)
 * @param minRtoNanos           lower bound of the RTO (RFC 6298 says 1 s; Linux uses 200 ms)
 * @param maxRtoNanos           upper bound of the RTO and of the back-off (RFC 6298 §2.5: at least 60 s)
 * @param maxRetransmissions    timeouts in a row (retransmissions or unanswered probes) before the connection is reset
 * @param maxSynAckRetransmissions SYN-ACK retransmissions before a half-open connection is dropped
 * @param delayedAckNanos       longest an ACK waits for a second segment (RFC 1122 §4.2.3.2: under 500 ms)
 * @param quickAckSegments      segments acknowledged at once, without delay, at the start of a connection
 * @param timeWaitNanos         how long TIME-WAIT lasts (see {@link TcpState#TIME_WAIT} for why short is safe)
 * @param keepaliveIdleNanos    idle time before the first keepalive probe (0: no keepalive)
 * @param keepaliveIntervalNanos time between unanswered keepalive probes
 * @param keepaliveProbes       unanswered probes before the connection is reset
 * @param congestionControl     the congestion controller of our sending direction
 */
public record TcpConfig(int mtu, int receiveBufferSize, int sendBufferSize,
                        boolean windowScaling, boolean sack, boolean timestamps,
                        long initialRtoNanos, long minRtoNanos, long maxRtoNanos,
                        int maxRetransmissions, int maxSynAckRetransmissions,
                        long delayedAckNanos, int quickAckSegments, long timeWaitNanos,
                        long keepaliveIdleNanos, long keepaliveIntervalNanos, int keepaliveProbes,
                        CongestionControl.Factory congestionControl) {

    /** Smallest MTU a TUN may have and still carry IPv6 (RFC 8200 §5). */
    public static final int MIN_MTU = 1280;
    /** Default ceiling of each of the two buffers of a connection. */
    public static final int DEFAULT_BUFFER = 1024 * 1024;

    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;

    public TcpConfig {
        if (mtu < MIN_MTU || mtu > 65535) throw new IllegalArgumentException("mtu: " + mtu + " (expected: 1280 to 65535)");
        if (receiveBufferSize < 2 * mtu || receiveBufferSize > 1 << 30) {
            throw new IllegalArgumentException("receive buffer: " + receiveBufferSize + " (expected: 2 MTU to 1 GiB)");
        }
        if (sendBufferSize < 2 * mtu || sendBufferSize > 1 << 30) {
            throw new IllegalArgumentException("send buffer: " + sendBufferSize + " (expected: 2 MTU to 1 GiB)");
        }
        if (minRtoNanos <= 0 || initialRtoNanos <= 0 || maxRtoNanos < minRtoNanos) {
            throw new IllegalArgumentException("RTO bounds: min " + minRtoNanos + ", initial " + initialRtoNanos
                    + ", max " + maxRtoNanos + " (expected: 0 < min <= max)");
        }
        if (maxRetransmissions < 1 || maxSynAckRetransmissions < 0) {
            throw new IllegalArgumentException("retransmissions: " + maxRetransmissions + ", SYN-ACK " + maxSynAckRetransmissions);
        }
        if (delayedAckNanos < 0 || delayedAckNanos >= 500 * MS) {
            throw new IllegalArgumentException("delayed ACK: " + delayedAckNanos + " ns (expected: under 500 ms, RFC 1122 §4.2.3.2)");
        }
        if (quickAckSegments < 0 || timeWaitNanos < 0 || keepaliveIdleNanos < 0 || keepaliveProbes < 0) {
            throw new IllegalArgumentException("negative quick ACKs, TIME-WAIT or keepalive setting");
        }
        if (keepaliveIdleNanos > 0 && keepaliveIntervalNanos <= 0) {
            throw new IllegalArgumentException("keepalive interval: " + keepaliveIntervalNanos + " (expected: > 0)");
        }
        Objects.requireNonNull(congestionControl, "congestionControl");
    }

    /**
     * Returns the defaults for a TUN of {@code mtu}: 1 MiB buffers (allocated as they fill), every
     * option, RTO from 200 ms (as Linux) to 60 s, 15 retransmissions, 40 ms delayed ACK, 1 s
     * TIME-WAIT, keepalive after 2 minutes idle then every 15 s, 4 probes, CUBIC.
     */
    public static TcpConfig defaults(int mtu) {
        return new TcpConfig(mtu, DEFAULT_BUFFER, DEFAULT_BUFFER, true, true, true,
                S, 200 * MS, 60 * S, 15, 5, 40 * MS, 16, S,
                120 * S, 15 * S, 4, Cubic::new);
    }

    /** Returns this configuration with other buffer ceilings. */
    public TcpConfig withBuffers(int receive, int send) {
        return new TcpConfig(mtu, receive, send, windowScaling, sack, timestamps, initialRtoNanos, minRtoNanos,
                maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos, quickAckSegments,
                timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes, congestionControl);
    }

    /** Returns this configuration offering or accepting only the options given. */
    public TcpConfig withOptions(boolean windowScaling, boolean sack, boolean timestamps) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes,
                congestionControl);
    }

    /** Returns this configuration with another delayed-ACK timeout and quick-ACK count. */
    public TcpConfig withDelayedAck(long delayedAckNanos, int quickAckSegments) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes,
                congestionControl);
    }

    /** Returns this configuration with another TIME-WAIT duration. */
    public TcpConfig withTimeWait(long timeWaitNanos) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes,
                congestionControl);
    }

    /** Returns this configuration with other keepalive settings ({@code idleNanos} 0 turns keepalive off). */
    public TcpConfig withKeepalive(long idleNanos, long intervalNanos, int probes) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, idleNanos, intervalNanos, probes, congestionControl);
    }

    /** Returns this configuration with other retransmission bounds. */
    public TcpConfig withRetransmission(long initialRtoNanos, long minRtoNanos, long maxRtoNanos,
                                        int maxRetransmissions, int maxSynAckRetransmissions) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes,
                congestionControl);
    }

    /** Returns this configuration with another congestion controller. */
    public TcpConfig withCongestionControl(CongestionControl.Factory congestionControl) {
        return new TcpConfig(mtu, receiveBufferSize, sendBufferSize, windowScaling, sack, timestamps, initialRtoNanos,
                minRtoNanos, maxRtoNanos, maxRetransmissions, maxSynAckRetransmissions, delayedAckNanos,
                quickAckSegments, timeWaitNanos, keepaliveIdleNanos, keepaliveIntervalNanos, keepaliveProbes,
                congestionControl);
    }

    /** Returns the window scale shift that lets the receive buffer be advertised whole (RFC 7323 §2.3). */
    int receiveWindowShift() {
        int shift = 0;
        while ((65535L << shift) < receiveBufferSize && shift < 14) shift++;
        return shift;
    }
}
