package dev.nstun.stack.icmp;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One echo flow of the command: its key, the transport's channel for it, and how many replies the
 * transport has handed over that the loop has not delivered yet (bounded, so a flood of replies
 * cannot fill the loop's task queue).
 */
final class EchoFlow implements EchoTransport.Replies {
    /** Where the flow stands. */
    enum State {
        /** The channel is open: requests go out. */
        OPEN,
        /** The transport refused the destination: requests are answered "administratively prohibited". */
        REFUSED,
        /** No channel could be opened: requests are answered "network unreachable" (IPv6: "no route"). */
        UNREACHABLE
    }

    final EchoFlows owner;
    final EchoKey key;
    final InetAddress destination;
    State state = State.UNREACHABLE;
    EchoTransport.Channel channel;
    long lastActiveNanos;
    /** The loop's clock when the command's first request arrived. */
    final long openedNanos;
    /** Payload bytes of the requests the transport took, and of the replies given to the command. */
    long bytesToUpstream;
    long bytesFromUpstream;
    /** Replies and errors posted to the loop and not yet delivered; touched by both threads. */
    final AtomicInteger backlog = new AtomicInteger();

    EchoFlow(EchoFlows owner, EchoKey key, InetAddress destination, long nowNanos) {
        this.owner = owner;
        this.key = key;
        this.destination = destination;
        this.lastActiveNanos = nowNanos;
        this.openedNanos = nowNanos;
    }

    @Override
    public void reply(int sequence, ByteBuffer payload) {
        owner.replyArrived(this, sequence, payload);
    }

    @Override
    public void error(InetAddress reporter, int type, int code, int restOfHeader, int sequence) {
        owner.errorArrived(this, reporter, type, code, restOfHeader, sequence);
    }

    @Override
    public String toString() {
        return "icmp " + key;
    }
}
