package dev.nstun.cli;

import dev.nstun.policies.outbound.UdpRelay;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * A UDP flow's way out as the stack sees it: the {@link UdpRelay} the policies module opened for
 * the flow's outbound (a connected socket, a SOCKS5 UDP association, nothing for drop) behind the
 * stack's {@link UdpUpstream}. The two modules do not know each other; this adapter is where they
 * meet.
 */
final class RelayUpstream implements UdpUpstream {
    private final UdpRelay relay;

    RelayUpstream(UdpRelay relay) {
        this.relay = relay;
    }

    @Override
    public DatagramChannel channel() {
        return relay.channel();
    }

    @Override
    public boolean send(ByteBuffer payload) throws IOException {
        return relay.send(payload);
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        return relay.receive(dst);
    }

    @Override
    public void close() throws IOException {
        relay.close();
    }

    @Override
    public String toString() {
        return relay.toString();
    }
}
