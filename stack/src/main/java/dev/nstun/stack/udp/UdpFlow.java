package dev.nstun.stack.udp;

import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.flow.UdpUpstream;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;

/**
 * One UDP flow: the command's side as its packets name it, and the upstream channel once the
 * dialer has opened it. Datagrams that arrive while it is being opened wait (a few, copied).
 */
final class UdpFlow {
    /** Where the flow stands. */
    enum State { OPENING, OPEN, REFUSED }

    /** Datagrams kept while the upstream opens; more are dropped, as a full socket buffer would. */
    static final int MAX_PENDING = 8;

    final FlowKey key;
    final FlowId id;
    State state = State.OPENING;
    UdpUpstream upstream;
    SelectionKey selectionKey;
    long lastActiveNanos;
    /** The loop's clock when the command's first datagram arrived. */
    final long openedNanos;
    /** Payload bytes the upstream took, and those it gave back. */
    long bytesToUpstream;
    long bytesFromUpstream;
    /** Whole IP packets (copies) received while OPENING, replayed or answered when it settles. */
    final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>(2);

    UdpFlow(FlowKey key, FlowId id, long nowNanos) {
        this.key = key;
        this.id = id;
        this.lastActiveNanos = nowNanos;
        this.openedNanos = nowNanos;
    }
}
