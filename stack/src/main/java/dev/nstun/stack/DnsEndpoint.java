package dev.nstun.stack;

import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.dns.DnsTcpServer;
import dev.nstun.stack.dns.DnsUpstream;
import dev.nstun.stack.dns.FakeIpPool;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.UdpDatagram;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nstun's resolver inside the namespace, at the addresses its {@link Config} names, port 53. UDP queries are
 * answered on the loop thread when the {@link DnsResolver} can (fake addresses, PTR of them), else
 * sent to the upstream on a virtual thread and the answer relayed back; TCP connections to port 53
 * are handed to a {@link DnsTcpServer}. Flows to fake addresses get the name they stand for
 * ({@link #wrap}); one to a fake address nobody handed out (or one forgotten since) is refused.
 */
public final class DnsEndpoint implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(DnsEndpoint.class);
    /** Queries waiting for the upstream at once; a resolver that floods us gets SERVFAIL beyond. */
    public static final int MAX_PENDING = 1024;
    private static final int DNS_PORT = 53;
    private static final int SERVFAIL = 2;
    /** Room for the IPv6 and UDP headers in front of a response in the 64 KiB packet buffer. */
    private static final int MAX_UDP_RESPONSE = NetStack.MAX_PACKET - 48;

    /**
     * Where the resolver answers and how; {@code socketDirectory} is where the DNS-over-TCP socket
     * lives (null: a temporary directory).
     */
    public record Config(Inet4Address address4, Inet6Address address6, DnsResolver resolver, DnsUpstream upstream, Path socketDirectory) {}

    private final Config config;
    private final int address4;
    private final long address6High;
    private final long address6Low;
    private final ExecutorService executor;
    private final Consumer<Runnable> onLoop;
    private final PacketOutput output;
    private final StackCounters counters;
    /** Started by the first TCP connection to the resolver ({@link #tcpServer}); guarded by this. */
    private DnsTcpServer tcp;
    private boolean closed;
    private final PacketBuilder builder = new PacketBuilder();
    private int pending;

    DnsEndpoint(Config config, ExecutorService executor, Consumer<Runnable> onLoop, PacketOutput output, StackCounters counters) {
        this.config = config;
        this.address4 = ByteBuffer.wrap(config.address4().getAddress()).getInt();
        ByteBuffer six = ByteBuffer.wrap(config.address6().getAddress());
        this.address6High = six.getLong();
        this.address6Low = six.getLong();
        this.executor = executor;
        this.onLoop = onLoop;
        this.output = output;
        this.counters = counters;
    }

    /**
     * Sets whether the link offloads checksums ({@link dev.nstun.stack.device.Device#enableOffload}):
     * the answers this sends the command then carry only the pseudo-header sum. Call before the first.
     */
    public void offload(boolean offload) {
        builder.partialChecksums(offload);
    }

    /**
     * The DNS-over-TCP server, started at the first TCP connection to the resolver (on that flow's
     * dial thread): few commands ever make one (a truncated answer, dig +tcp), and its socket, its
     * directory and its threads cost every run's start about a tenth of the stack's making.
     */
    private synchronized DnsTcpServer tcpServer() throws IOException {
        if (closed) throw new IOException("the stack is stopping");
        if (tcp == null) {
            try {
                tcp = DnsTcpServer.start(config.resolver(), config.upstream(), executor, config.socketDirectory());
            } catch (IOException | RuntimeException e) {
                log.warn("DNS over TCP is refused: its server cannot start: {}", e.toString());
                throw e;
            }
        }
        return tcp;
    }

    /** Returns whether the datagram is a query to this resolver (loop thread, no allocation). */
    boolean isQuery(IpPacket ip, UdpDatagram udp) {
        if (udp.destinationPort() != DNS_PORT) return false;
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first name the command looks up.
        if (ip instanceof Ipv4Packet v4) return v4.destination() == address4;
        Ipv6Packet v6 = (Ipv6Packet) ip;
        return v6.destinationHigh() == address6High && v6.destinationLow() == address6Low;
    }

    /** Answers a query from the command, at once or when the upstream has (loop thread). */
    void onQuery(IpPacket ip, UdpDatagram udp) {
        ByteBuffer out = output.buffer();
        builder.replyTo(ip);
        int payloadOffset = builder.udpPayloadOffset();
        out.clear().position(payloadOffset);
        ByteBuffer query = udp.buffer();
        int offset = udp.payloadOffset();
        int length = udp.payloadLength();
        switch (config.resolver().handle(query, offset, length, out)) {
            case ANSWERED -> {
                counters.count(StackCounters.Dns.ANSWERED_HERE);
                output.send(builder.udp(out, 0, DNS_PORT, udp.sourcePort(), out.position() - payloadOffset));
            }
            case DROP -> counters.count(StackCounters.Drop.DNS_MALFORMED);
            case FORWARD -> {
                if (pending >= MAX_PENDING) {
                    counters.count(StackCounters.Drop.DNS_TOO_MANY_PENDING);
                    if (DnsResolver.writeServfail(query, offset, length, out)) {
                        counters.count(StackCounters.Dns.SERVFAIL);
                        output.send(builder.udp(out, 0, DNS_PORT, udp.sourcePort(), out.position() - payloadOffset));
                    }
                    return;
                }
                byte[] bytes = new byte[length];
                query.get(offset, bytes);
                forward(FlowKey.of(ip, udp.sourcePort(), DNS_PORT), bytes);
            }
        }
    }

    private void forward(FlowKey client, byte[] query) {
        pending++;
        executor.execute(() -> {
            byte[] response = null;
            try {
                response = config.upstream().exchange(query);
            } catch (IOException | RuntimeException e) {
                log.debug("DNS query from {}: upstream failed: {}", client, e.toString());
            }
            byte[] answer = response;
            onLoop.accept(() -> answer(client, query, answer));
        });
    }

    /** Relays the upstream's response (or SERVFAIL when it had none) to the client (loop thread). */
    private void answer(FlowKey client, byte[] query, byte[] response) {
        pending--;
        if (client.v6()) {
            builder.ipv6(client.destinationHigh(), client.destinationLow(), client.sourceHigh(), client.sourceLow());
        } else {
            builder.ipv4((int) client.destinationLow(), (int) client.sourceLow());
        }
        ByteBuffer out = output.buffer();
        int payloadOffset = builder.udpPayloadOffset();
        out.clear().position(payloadOffset);
        ByteBuffer q = ByteBuffer.wrap(query);
        int limit = Math.min(MAX_UDP_RESPONSE, DnsResolver.maxUdpResponseLength(q, 0, query.length));
        if (DnsResolver.writeForwardedResponse(q, 0, query.length, response, limit, out)) {
            // The header's RCODE as the command gets it: the upstream's SERVFAIL counts as one too.
            counters.count((out.get(payloadOffset + 3) & 0x0f) == SERVFAIL ? StackCounters.Dns.SERVFAIL : StackCounters.Dns.FORWARDED);
            output.send(builder.udp(out, 0, DNS_PORT, client.sourcePort(), out.position() - payloadOffset));
        }
    }

    /**
     * Returns {@code dialer} with the resolver's TCP port served here and flows to fake addresses
     * named (or refused when the address stands for no name).
     */
    Dialer wrap(Dialer dialer) {
        return new Dialer() {
            @Override
            public UdpUpstream openUdp(FlowId flow) throws IOException {
                return dialer.openUdp(named(flow));
            }

            @Override
            public SocketChannel connectTcp(FlowId flow) throws IOException {
                if (flow.destinationPort() == DNS_PORT && isResolver(flow.destination())) return tcpServer().connect();
                return dialer.connectTcp(named(flow));
            }

            @Override
            public void tcpClosed(FlowId flow, long bytesToUpstream, long bytesFromUpstream) {
                if (flow.destinationPort() != DNS_PORT || !isResolver(flow.destination())) dialer.tcpClosed(flow, bytesToUpstream, bytesFromUpstream);
            }

            @Override
            public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
                if (flow.destinationPort() == DNS_PORT && isResolver(flow.destination())) return Optional.empty();
                return dialer.startTcp(named(flow));
            }
        };
    }

    /** Returns {@code flow} with the name its fake destination stands for, if it is one that does. */
    FlowId nameOf(FlowId flow) {
        FakeIpPool pool = config.resolver().pool();
        if (pool == null || flow.destinationName().isPresent() || !pool.inRange(flow.destination())) return flow;
        return pool.nameOf(flow.destination()).map(flow::withDestinationName).orElse(flow);
    }

    private boolean isResolver(InetAddress a) {
        return a.equals(config.address4()) || a.equals(config.address6());
    }

    private FlowId named(FlowId flow) throws FlowRefusedException {
        FakeIpPool pool = config.resolver().pool();
        if (pool == null || !pool.inRange(flow.destination())) return flow;
        Optional<String> name = pool.nameOf(flow.destination());
        if (name.isEmpty()) {
            counters.count(StackCounters.Drop.FAKE_ADDRESS_WITHOUT_NAME);
            throw new FlowRefusedException(flow.destination().getHostAddress() + " is a fake address that stands for no name"
                    + " (handed out before a restart, or forgotten to make room); look the name up again");
        }
        return flow.withDestinationName(name.get());
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (tcp != null) tcp.close();
    }
}
