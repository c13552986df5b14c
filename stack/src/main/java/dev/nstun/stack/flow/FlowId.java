package dev.nstun.stack.flow;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One flow of the wrapped command, as its packets name it: protocol, source and destination.
 * Made once per flow (not per packet); the destination is what the command asked for. When the
 * destination is a fake address nstun's DNS handed out, {@code destinationName} is the name it
 * stands for, so that rules can match the name and a proxy can resolve it.
 */
public record FlowId(Protocol protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort,
                     Optional<String> destinationName) {
    /**
     * The protocols that carry flows. ICMP is echo (ping) only, and only in a snapshot
     * ({@link FlowSnapshot}): its source port is the echo identifier, its destination port 0; no
     * dialer ever sees it.
     */
    public enum Protocol { TCP, UDP, ICMP }

    public FlowId(Protocol protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort) {
        this(protocol, source, sourcePort, destination, destinationPort, Optional.empty());
    }

    /** Returns this flow with the name its (fake) destination address stands for. */
    public FlowId withDestinationName(String name) {
        return new FlowId(protocol, source, sourcePort, destination, destinationPort, Optional.of(name));
    }

    /** Returns the destination as a socket address. */
    public InetSocketAddress destinationSocket() {
        return new InetSocketAddress(destination, destinationPort);
    }

    // equals and hashCode written out: a record's own are bootstrapped (method handles spun) at their
    // first use, which is the command's first connection (a flow is a map key for the run report).
    @Override
    public boolean equals(Object o) {
        return o instanceof FlowId f && protocol == f.protocol && sourcePort == f.sourcePort && destinationPort == f.destinationPort
                && Objects.equals(source, f.source) && Objects.equals(destination, f.destination)
                && Objects.equals(destinationName, f.destinationName);
    }

    @Override
    public int hashCode() {
        int h = ((Objects.hashCode(protocol) * 31 + Objects.hashCode(source)) * 31 + sourcePort) * 31 + Objects.hashCode(destination);
        return (h * 31 + destinationPort) * 31 + Objects.hashCode(destinationName);
    }

    @Override
    public String toString() {
        String s = protocol.name().toLowerCase(java.util.Locale.ROOT) + " " + format(source, sourcePort) + " -> " + format(destination, destinationPort);
        return destinationName.map(n -> s + " (" + n + ")").orElse(s);
    }

    private static String format(InetAddress a, int port) {
        String host = a.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
