package dev.nstun.stack.flow;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One flow of the wrapped command, as its packets name it: protocol, source and destination.
 * Made once per flow (not per packet); the destination is what the command asked for.
 */
public record FlowId(Protocol protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort) {
    /** The transport protocols that carry flows. */
    public enum Protocol { TCP, UDP }

    /** Returns the destination as a socket address. */
    public InetSocketAddress destinationSocket() {
        return new InetSocketAddress(destination, destinationPort);
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT) + " " + format(source, sourcePort) + " -> " + format(destination, destinationPort);
    }

    private static String format(InetAddress a, int port) {
        String host = a.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
