package dev.nstun.stack.icmp;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Where the command's echo requests leave the stack and their replies come back: ICMP sockets in
 * the init namespace in nstun, a fake in tests. {@link EchoFlows} opens one {@link Channel} per
 * flow (the command's source, destination and identifier); the transport picks the identifier the
 * requests carry outside and hands back only the replies and errors that belong to the channel.
 */
public interface EchoTransport {

    /**
     * Opens a channel for echo requests to {@code destination} (an IPv4 or IPv6 address); its
     * replies and errors go to {@code replies}. Called on the loop thread: must not block.
     *
     * @throws dev.nstun.stack.flow.FlowRefusedException when nothing should answer this destination
     * @throws IOException when no channel can be opened (no socket for the family, out of identifiers)
     */
    Channel open(InetAddress destination, Replies replies) throws IOException;

    /** One flow's way out; used and closed on the loop thread. */
    interface Channel extends AutoCloseable {
        /**
         * Sends an echo request with {@code sequence} and the bytes between {@code payload}'s position
         * and limit as its data (the position may move; the bytes are not kept). Returns false when the
         * socket cannot take it now (the request is lost, as on a congested link).
         *
         * @throws IOException when the request cannot be sent at all (no route, for one)
         */
        boolean send(int sequence, ByteBuffer payload) throws IOException;

        /** Stops the flow: no more replies are delivered once it returns, except ones already being handed over. */
        @Override
        void close();
    }

    /** What comes back for a channel: called on the transport's own thread, never the loop's. */
    interface Replies {
        /**
         * An echo reply for {@code sequence} arrived; its data is between {@code payload}'s position
         * and limit, readable only during the call.
         */
        void reply(int sequence, ByteBuffer payload);

        /**
         * An ICMP error came back from {@code reporter} (null if unknown: the pinged address then
         * stands in) about the request with {@code sequence}: destination unreachable, time
         * exceeded, parameter problem or (IPv6) packet too big, with the type, code and four
         * type-specific bytes of the destination's family.
         */
        void error(InetAddress reporter, int type, int code, int restOfHeader, int sequence);
    }
}
