package dev.nstun.stack.flow;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * Where the stack's flows go: the seam between "a flow arrived" and "what to connect it to". The
 * stack calls it on a virtual thread, so an implementation may block (DNS, a proxy handshake);
 * it returns a connected channel (or relay) or throws, and the stack then owns the channel. A
 * TCP dial that needs no name resolved can instead start on the stack's loop without blocking
 * ({@link #startTcp}), a proxy's handshake then driven by the loop's selector, saving the thread
 * hand-offs.
 */
public interface Dialer {
    /**
     * Opens the upstream of a UDP flow: where its datagrams should go (a socket connected to the
     * destination, or a proxy's relay). Throws {@link FlowRefusedException} when policy refuses
     * the flow; the command then sees ICMP port unreachable.
     */
    UdpUpstream openUdp(FlowId flow) throws IOException;

    /**
     * Connects the upstream of a TCP flow, blocking until it is connected. The command's SYN is
     * answered only then ("connect-then-accept"). A failure is a {@link DialException} whose
     * {@link DialFailure} says how the command is answered (a reset, ICMP unreachable, or silence);
     * the stack dials once per flow, whatever the command retransmits meanwhile. Any other
     * exception is a bug of the dialer, answered with a reset.
     */
    SocketChannel connectTcp(FlowId flow) throws IOException;

    /**
     * Told, on the stack's loop thread, that a TCP flow whose upstream {@link #connectTcp} connected
     * has ended, with the payload bytes relayed each way; must return at once. Does nothing unless
     * overridden. (A UDP flow's end is its {@link UdpUpstream}'s close.)
     */
    default void tcpClosed(FlowId flow, long bytesToUpstream, long bytesFromUpstream) {}

    /**
     * Starts connecting the upstream of a TCP flow on a non-blocking channel, if this dialer knows at
     * once where the flow goes; empty means "use {@link #connectTcp}". Called on the stack's loop:
     * must not block (no name resolution, no proxy handshake, no file or lock that may wait). A
     * refusal throws at once, as {@link #connectTcp} would; the stack owns the channel it returns.
     */
    default Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
        return Optional.empty();
    }
}
