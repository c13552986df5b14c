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

    /** A plain socket connected to the flow's destination: what a direct outbound opens. */
    static UdpUpstream connected(DatagramChannel channel) {
        return new UdpUpstream() {
            @Override
            public DatagramChannel channel() {
                return channel;
            }

            @Override
            public boolean send(ByteBuffer payload) throws IOException {
                return channel.write(payload) > 0 || !payload.hasRemaining();
            }

            @Override
            public int receive(ByteBuffer dst) throws IOException {
                int start = dst.position();
                // receive, not read: read returns 0 both for "nothing waits" and for an empty datagram.
                if (channel.receive(dst) == null) return -1;
                int n = dst.position() - start;
                dst.position(start);
                return n;
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }

            @Override
            public String toString() {
                return channel.toString();
            }
        };
    }
}
