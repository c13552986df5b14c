package dev.nstun.stack.relay;

import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.tcp.DirectReader;
import dev.nstun.stack.tcp.TcpConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One TCP flow: the connection our stack terminates and the upstream socket it is relayed to. It is
 * its connection's {@link DirectReader} itself, rather than a lambda made per flow.
 */
final class TcpFlow implements DirectReader {
    final FlowKey key;
    final FlowId id;
    final TcpConnection conn;
    /** The loop's clock when the command's SYN arrived. */
    final long openedNanos;
    /** The command's SYN, kept until the upstream settles: an ICMP error must quote it. */
    ByteBuffer syn;
    SocketChannel channel;
    SelectionKey selectionKey;
    boolean dialing = true;
    /** The upstream's connect under way on the loop (its channel waits for OP_CONNECT), or null. */
    PendingConnect pending;
    /** When the connect under way on the loop times out ({@link Long#MAX_VALUE}: never). */
    long connectDeadline = Long.MAX_VALUE;
    /** The virtual thread connecting the upstream, interrupted to give the dial up. */
    volatile Thread dialThread;
    /** Dialing, or accepted but the handshake with the command is not complete: counts against the backlog. */
    boolean halfOpen = true;
    /** The upstream socket did not take all the command's bytes: write again once it is writable. */
    boolean writeBlocked;
    /** We shut down the upstream's output (the command sent FIN). */
    boolean upstreamOutputShut;
    /** The upstream sent EOF (we passed FIN on to the command). */
    boolean upstreamInputDone;
    /** Reading the upstream waits for room in the connection's send buffer. */
    boolean readPaused;
    boolean inDirtyList;
    /** In {@link TcpFlows}'s list of flows whose connection holds an ACK for the reply, since {@link #ackHeldSince}. */
    boolean inHoldingList;
    /** The loop's clock at the turn that put the flow in that list. */
    long ackHeldSince;
    /** In {@link TcpFlows}'s list of flows whose connection delays an ACK. */
    boolean inDelayingList;
    /** When {@link FlowTimers} has this flow serviced ({@link Long#MAX_VALUE}: not in it). */
    long timerDeadline = Long.MAX_VALUE;
    /** Its place in {@link FlowTimers}'s heap, or -1. */
    int timerIndex = -1;
    volatile boolean removed;
    /** A dropped flow: no answer, its SYN retries absorbed until {@link #silentUntil}. */
    boolean silent;
    long silentUntil;
    /** The dialer connected an upstream for it: it hears of the flow's end ({@link dev.nstun.stack.flow.Dialer#tcpClosed}). */
    boolean connected;
    /** Payload bytes written to the upstream socket and read from it: told to the dialer at the end. */
    long bytesToUpstream;
    long bytesFromUpstream;

    TcpFlow(FlowKey key, FlowId id, TcpConnection conn, long openedNanos) {
        this.key = key;
        this.id = id;
        this.conn = conn;
        this.openedNanos = openedNanos;
    }

    /**
     * Command → upstream straight from the packet read off the TUN, for bytes the connection would
     * otherwise store and {@link TcpFlows}'s pump write out from there (see {@link TcpConnection#directReader}).
     * One write per segment where the pump would gather several, but no copy into the ring: when the
     * pump still copied through a staging buffer too, nstun's CPU per GiB went to 0.85-0.92 of what it
     * was under iperf3 --bidir, 0.88-0.95 uploading alone.
     * Returns how many the socket took; the rest the connection stores, and a flow whose socket is
     * full waits for OP_WRITE as ever. A failed write takes nothing: the next pump meets the error.
     */
    @Override
    public int take(ByteBuffer src, int offset, int length) {
        if (channel == null || writeBlocked) return 0;
        int position = src.position();
        int limit = src.limit();
        try {
            src.limit(offset + length).position(offset);
            int written = channel.write(src);
            bytesToUpstream += written;
            return written;
        } catch (IOException e) {
            return 0;
        } finally {
            src.clear().limit(limit).position(position);
        }
    }

    /** Returns where the flow stands, as a {@link dev.nstun.stack.flow.FlowSnapshot} says it. */
    String state() {
        if (silent) return "DROPPED";
        if (dialing) return "DIALING";
        return conn.state().name();
    }
}
