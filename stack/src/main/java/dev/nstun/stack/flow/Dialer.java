package dev.nstun.stack.flow;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * Where the stack's flows go: the seam between "a flow arrived" and "what to connect it to". The
 * stack calls it on a virtual thread, so an implementation may block (DNS, a proxy handshake);
 * it returns a connected channel (or relay) or throws, and the stack then owns the channel.
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
     * answered only then ("connect-then-accept"): a refused connect (ConnectException) becomes RST,
     * an unreachable destination (NoRouteToHostException, "Network is unreachable") ICMP
     * unreachable, a timeout silence, so the command sees what a direct connect would have shown.
     */
    SocketChannel connectTcp(FlowId flow) throws IOException;
}
