package dev.nstun.policies.outbound;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * One UDP flow's way out, as {@link Connectors#openUdp} opens it for an outbound: a socket connected
 * to the destination ({@code direct}), a SOCKS5 UDP association that wraps each datagram
 * ({@code socks5}, {@link Socks5UdpFlow}), or nothing at all ({@code drop}). The stack's
 * {@code UdpUpstream} has the same shape; the CLI adapts one to the other, so that this module
 * needs nothing of the stack. Used by one thread; {@link #send} and {@link #receive} never block
 * once {@link #channel()} is non-blocking.
 */
public interface UdpRelay extends Closeable {
    /** Returns the channel whose readability means a reply may be waiting. */
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

    /** Returns a relay over a socket connected to the flow's destination: what a direct outbound opens. */
    static UdpRelay connected(DatagramChannel channel) {
        return new UdpRelay() {
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

    /**
     * Returns a drop outbound's relay: takes every datagram and answers none, as a firewall that
     * drops would. Its channel is never bound, so it never becomes readable.
     */
    static UdpRelay discarding() throws IOException {
        DatagramChannel never = DatagramChannel.open();
        return new UdpRelay() {
            @Override
            public DatagramChannel channel() {
                return never;
            }

            @Override
            public boolean send(ByteBuffer payload) {
                payload.position(payload.limit());
                return true;
            }

            @Override
            public int receive(ByteBuffer dst) {
                return -1;
            }

            @Override
            public void close() throws IOException {
                never.close();
            }

            @Override
            public String toString() {
                return "drop";
            }
        };
    }
}
