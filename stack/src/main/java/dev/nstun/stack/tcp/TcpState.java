package dev.nstun.stack.tcp;

/**
 * The connection states of RFC 9293 §3.3.2 that a connection we only accept can be in: LISTEN and
 * SYN-SENT never occur (the loop, not a socket, listens; we never open).
 */
public enum TcpState {
    /** No connection: it was refused, reset, timed out, or finished. The loop may forget it. */
    CLOSED,
    /** The SYN arrived; before {@link TcpConnection#accept} nothing is sent, after it the SYN-ACK is. */
    SYN_RECEIVED,
    /** Data flows both ways. */
    ESTABLISHED,
    /** We sent FIN (the upstream closed) and wait for its ACK; the command may still send. */
    FIN_WAIT_1,
    /** Our FIN is acknowledged; the command may still send until its FIN. */
    FIN_WAIT_2,
    /** The command sent FIN; we may still send until the upstream closes. */
    CLOSE_WAIT,
    /** Both sent FIN at once; ours is not yet acknowledged. */
    CLOSING,
    /** The command's FIN came first and ours followed; we wait for its ACK. */
    LAST_ACK,
    /**
     * We closed first and both FINs are acknowledged; we linger to acknowledge a retransmitted FIN.
     *
     * <p>RFC 9293 asks for 2 MSL (minutes) so that old duplicates of this connection cannot be taken
     * for data of a new one on the same 4-tuple. Here a short TIME-WAIT ({@link TcpConfig#timeWaitNanos},
     * 1 s by default) is safe: the only path is a point-to-point TUN inside one host, whose packets
     * live microseconds, not a network that can hold them for an MSL; the far side of the 4-tuple is
     * the command's kernel, which picked the port (when it closed first, its own 60 s TIME-WAIT is
     * ended by a RST for the same reasons: see {@link TcpConnection}'s releaseTimeWait); and a new SYN
     * in TIME-WAIT closes this connection at once (RFC 9293 §3.10.7.4 with RFC 6191) so the loop can
     * accept the new one. Its cost is a table entry and a few hundred bytes: the upstream socket is
     * closed and the buffers are given back as soon as both directions are done.
     */
    TIME_WAIT;

    /** Returns whether the handshake is complete and the connection not yet closed (RFC 9293 "synchronized"). */
    public boolean isSynchronized() {
        return this != CLOSED && this != SYN_RECEIVED;
    }
}
