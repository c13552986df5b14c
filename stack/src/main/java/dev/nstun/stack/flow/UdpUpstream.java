package dev.nstun.stack.flow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Where one UDP flow's datagrams go and its replies come from: a socket connected to the
 * destination, or a relay that wraps each datagram (SOCKS5 UDP ASSOCIATE). Used on the loop thread
 * only and never blocks: the loop waits on {@link #channel()} for replies.
 */
public interface UdpUpstream extends Closeable {
    /** The non-blocking channel whose readability means a reply may be waiting. */
    DatagramChannel channel();

    /**
     * Sends one datagram whose payload is {@code payload[position, limit)}; the buffer's position
     * and limit may move. Returns false when the kernel had no room and the datagram was dropped.
     */
    boolean send(ByteBuffer payload) throws IOException;

    /**
     * Reads one reply's payload into {@code dst} at its position and returns its length, the
     * payload then lying at {@code [position, position + length)}; returns -1 when nothing waits.
     * Datagrams that are not replies of this flow are dropped, never returned.
     */
    int receive(ByteBuffer dst) throws IOException;
}
