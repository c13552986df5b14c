package dev.nstun.cli;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/** The UDP upstreams a policy can give a flow besides a plain connected socket. */
final class UdpUpstreams {
    private UdpUpstreams() {}

    /**
     * A drop outbound's upstream: takes every datagram and answers none, as a firewall that drops
     * would. Its channel is never bound, so it never becomes readable.
     */
    static UdpUpstream discarding() throws IOException {
        DatagramChannel never = DatagramChannel.open();
        return new UdpUpstream() {
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

    /** UDP through a SOCKS5 proxy's UDP ASSOCIATE (refused at once when the outbound has none). */
    static UdpUpstream throughSocks5(Outbound.Socks5 socks5, Destination destination, FailureLog failures) throws IOException {
        if (!socks5.udp()) {
            throw new FlowRefusedException("the socks5 outbound " + socks5.name() + " has udp: false; refused so that the command falls back (QUIC to TCP) at once");
        }
        throw new FlowRefusedException("UDP through socks5 is being wired");
    }
}
