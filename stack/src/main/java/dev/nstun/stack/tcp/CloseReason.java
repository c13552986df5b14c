package dev.nstun.stack.tcp;

/** Why a connection reached {@link TcpState#CLOSED}: what the relay should do to the upstream side. */
public enum CloseReason {
    /** Not closed, or closed in order (both FINs exchanged). */
    NONE,
    /** {@link TcpConnection#refuse} answered the SYN with a RST. */
    REFUSED,
    /** The command reset the connection: reset the upstream too. */
    RESET,
    /** Retransmissions, zero-window probes, keepalives or SYN-ACKs went unanswered; we sent a RST where one could help. */
    TIMED_OUT,
    /** {@link TcpConnection#abort} reset it. */
    ABORTED
}
