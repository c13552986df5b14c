package dev.nstun.stack.relay;

import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.tcp.TcpConnection;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One TCP flow: the connection our stack terminates and the upstream socket it is relayed to. */
final class TcpFlow {
    final FlowKey key;
    final FlowId id;
    final TcpConnection conn;
    /** The command's SYN, kept until the upstream settles: an ICMP error must quote it. */
    ByteBuffer syn;
    SocketChannel channel;
    SelectionKey selectionKey;
    boolean dialing = true;
    /** Bytes read from the command that the upstream socket did not take yet. */
    ByteBuffer toUpstream;
    /** We shut down the upstream's output (the command sent FIN). */
    boolean upstreamOutputShut;
    /** The upstream sent EOF (we passed FIN on to the command). */
    boolean upstreamInputDone;
    /** Reading the upstream waits for room in the connection's send buffer. */
    boolean readPaused;
    boolean inDirtyList;
    long timerDeadline = Long.MAX_VALUE;
    boolean removed;

    TcpFlow(FlowKey key, FlowId id, TcpConnection conn) {
        this.key = key;
        this.id = id;
        this.conn = conn;
    }
}
