package dev.nstun.cli;

import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.outbound.Socks5UdpAssociation;
import dev.nstun.policies.outbound.Socks5UdpFlow;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * A UDP flow through a socks5 outbound, as the stack sees it: the policies module's
 * {@link Socks5UdpFlow} (which adds and strips the SOCKS5 UDP header, drops datagrams from other
 * sources, and notices the end of the association) behind the stack's {@link UdpUpstream}. The two
 * modules do not know each other; this adapter is where they meet.
 */
final class Socks5UdpUpstream implements UdpUpstream {
    private final Socks5UdpFlow flow;

    private Socks5UdpUpstream(Socks5UdpFlow flow) {
        this.flow = flow;
    }

    /**
     * Returns the upstream of a flow to {@code destination} through {@code association} (opened
     * with {@code Connectors.associate}, on a virtual thread), its channels made non-blocking.
     * Closing the upstream closes the association. Send and receive throw
     * {@code IOException("SOCKS5 UDP association ended: …")} once the proxy has ended it.
     */
    static UdpUpstream open(Socks5UdpAssociation association, Destination destination) throws IOException {
        return new Socks5UdpUpstream(Socks5UdpFlow.open(association, destination));
    }

    @Override
    public DatagramChannel channel() {
        return flow.channel();
    }

    @Override
    public boolean send(ByteBuffer payload) throws IOException {
        return flow.send(payload);
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        return flow.receive(dst);
    }

    @Override
    public void close() throws IOException {
        flow.close();
    }

    @Override
    public String toString() {
        return flow.toString();
    }
}
