package dev.nstun.cli;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.policies.outbound.Socks5UdpAssociation;
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

    /**
     * UDP through a SOCKS5 proxy's UDP ASSOCIATE, one association per flow (its idle timeout ends
     * it). Refused at once when the outbound has no {@code udp: true} or the proxy turned out to
     * lack UDP ASSOCIATE (said once in the log where that was found), so that the command falls
     * back (QUIC to TCP) without waiting.
     */
    static UdpUpstream throughSocks5(Connectors connectors, Outbound.Socks5 socks5, Destination destination, String flow,
                                     FailureLog failures) throws IOException {
        if (!socks5.udp()) {
            throw new FlowRefusedException("the socks5 outbound " + socks5.name() + " carries TCP only (no udp: true)");
        }
        Socks5UdpAssociation association;
        try {
            association = connectors.associate(socks5, socks5.connectTimeout());
        } catch (OutboundException e) {
            if (e.kind() == OutboundException.Kind.UNSUPPORTED) throw new FlowRefusedException(e.getMessage());
            failures.warn(socks5.name() + "/udp/" + e.kind(), flow + ": " + e.getMessage(), System.nanoTime());
            throw e;
        }
        try {
            return Socks5UdpUpstream.open(association, destination);
        } catch (IOException | RuntimeException e) {
            association.close();
            throw e;
        }
    }
}
