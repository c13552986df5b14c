package dev.nstun.stack.udp;

import dev.nstun.stack.PacketOutput;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.FlowTable;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.UdpDatagram;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP flows of the command, keyed by 5-tuple, each relayed through a channel the dialer opens.
 * Lives on the loop thread; dialing runs on {@code dialExecutor} and reports back through
 * {@code onLoop}. Flows idle for longer than their timeout are closed; the table is bounded, the
 * least recently used flow making room for a new one.
 */
public final class UdpFlows {
    private static final Logger log = LoggerFactory.getLogger(UdpFlows.class);
    private static final int DNS_PORT = 53;

    /** Limits: idle timeouts (DNS flows are one query long) and the table size. */
    public record Config(long idleNanos, long dnsIdleNanos, long refusedNanos, int maxFlows) {
        public static Config defaults() {
            return new Config(60_000_000_000L, 10_000_000_000L, 2_000_000_000L, 4096);
        }
    }

    private final Dialer dialer;
    private final Selector selector;
    private final Executor dialExecutor;
    private final Consumer<Runnable> onLoop;
    private final PacketOutput output;
    private final StackCounters counters;
    private final Config config;
    private final PacketBuilder builder = new PacketBuilder();
    private final UdpDatagram udp = new UdpDatagram();
    private final Ipv4Packet quoted4 = new Ipv4Packet();
    private final Ipv6Packet quoted6 = new Ipv6Packet();
    private final FlowTable<FlowKey, UdpFlow> flows;

    public UdpFlows(Dialer dialer, Selector selector, Executor dialExecutor, Consumer<Runnable> onLoop,
                    PacketOutput output, StackCounters counters, Config config) {
        this.dialer = dialer;
        this.selector = selector;
        this.dialExecutor = dialExecutor;
        this.onLoop = onLoop;
        this.output = output;
        this.counters = counters;
        this.config = config;
        this.flows = new FlowTable<>(config.maxFlows(), f -> f.lastActiveNanos + timeoutOf(f), this::close);
    }

    /**
     * Sets whether the link offloads checksums ({@link dev.nstun.stack.device.Device#enableOffload}):
     * the datagrams this sends the command then carry only the pseudo-header sum. Call before the first.
     */
    public void offload(boolean offload) {
        builder.partialChecksums(offload);
    }

    /** Handles a UDP packet from the command; {@code ip} is checked and its datagram too. */
    public void onPacket(long nowNanos, IpPacket ip, UdpDatagram datagram) {
        FlowKey key = FlowKey.of(ip, datagram.sourcePort(), datagram.destinationPort());
        UdpFlow flow = flows.get(key);
        if (flow == null) flow = open(nowNanos, key, ip);
        flow.lastActiveNanos = nowNanos;
        switch (flow.state) {
            case OPEN -> forward(flow, datagram);
            case OPENING -> {
                if (flow.pending.size() >= UdpFlow.MAX_PENDING) {
                    counters.count(StackCounters.Drop.UDP_PENDING_FULL);
                } else {
                    flow.pending.add(copy(ip));
                }
            }
            case REFUSED -> refuse(ip);
        }
    }

    /** Adds a snapshot of every flow in the table at {@code nowNanos} to {@code into} (loop thread). */
    public void snapshot(long nowNanos, List<FlowSnapshot> into) {
        flows.forEach(f -> into.add(new FlowSnapshot(f.id, f.state.name(), f.bytesToUpstream, f.bytesFromUpstream, nowNanos - f.openedNanos)));
    }

    /** Returns the number of flows in the table. */
    public int size() {
        return flows.size();
    }

    /** Closes flows idle past their timeout; returns when the next one may expire. */
    public long expire(long nowNanos) {
        return flows.expire(nowNanos);
    }

    /** Closes every flow (the loop is ending). */
    public void closeAll() {
        flows.closeAll();
    }

    /** Relays datagrams waiting on the flow's upstream channel back to the command. */
    public void onReadable(SelectionKey key, long nowNanos) {
        UdpFlow flow = (UdpFlow) key.attachment();
        ByteBuffer out = output.buffer();
        address(flow);
        int payloadOffset = builder.udpPayloadOffset();
        for (int i = 0; i < 64; i++) {
            out.clear().position(payloadOffset);
            int n;
            try {
                n = flow.upstream.receive(out);
            } catch (IOException e) {
                // An ICMP error for an earlier datagram (e.g. port unreachable): the command sees it as one too.
                log.debug("{}: {}", flow.id, e.getMessage());
                answerUnreachable(flow);
                return;
            }
            if (n < 0) return;
            flow.lastActiveNanos = nowNanos;
            flow.bytesFromUpstream += n;
            output.send(builder.udp(out, 0, flow.key.destinationPort(), flow.key.sourcePort(), n));
        }
    }

    private UdpFlow open(long nowNanos, FlowKey key, IpPacket ip) {
        FlowId id = new FlowId(FlowId.Protocol.UDP, ip.sourceAddress(), key.sourcePort(), ip.destinationAddress(), key.destinationPort());
        UdpFlow flow = new UdpFlow(key, id, nowNanos);
        flows.add(key, flow);
        dialExecutor.execute(() -> {
            try {
                UdpUpstream upstream = dialer.openUdp(id);
                onLoop.accept(() -> opened(flow, upstream));
            } catch (IOException | RuntimeException e) {
                onLoop.accept(() -> failed(flow, e));
            }
        });
        return flow;
    }

    private void opened(UdpFlow flow, UdpUpstream upstream) {
        if (flows.get(flow.key) != flow) { // expired or evicted meanwhile
            closeQuietly(upstream);
            return;
        }
        try {
            upstream.channel().configureBlocking(false);
            flow.selectionKey = upstream.channel().register(selector, SelectionKey.OP_READ, flow);
        } catch (IOException e) {
            closeQuietly(upstream);
            failed(flow, e);
            return;
        }
        flow.upstream = upstream;
        flow.state = UdpFlow.State.OPEN;
        log.debug("{}: open via {}", flow.id, upstream);
        for (ByteBuffer packet; (packet = flow.pending.poll()) != null; ) {
            IpPacket ip = view(packet);
            if (udp.wrapChecked(packet, ip.payloadOffset(), ip.payloadLength()) == null) forward(flow, udp);
        }
    }

    private void failed(UdpFlow flow, Exception e) {
        if (flows.get(flow.key) != flow) return;
        if (e instanceof FlowRefusedException) {
            log.debug("{}: refused: {}", flow.id, e.getMessage());
        } else {
            log.info("{}: cannot open the upstream: {}", flow.id, e.getMessage());
        }
        flow.state = UdpFlow.State.REFUSED;
        for (ByteBuffer packet; (packet = flow.pending.poll()) != null; ) refuse(view(packet));
    }

    private void forward(UdpFlow flow, UdpDatagram datagram) {
        ByteBuffer buf = datagram.buffer();
        int limit = buf.limit();
        int position = buf.position();
        buf.limit(datagram.payloadOffset() + datagram.payloadLength()).position(datagram.payloadOffset());
        try {
            int n = buf.remaining();
            if (flow.upstream.send(buf)) {
                flow.bytesToUpstream += n;
            } else {
                counters.count(StackCounters.Drop.UDP_UPSTREAM_BUSY);
            }
        } catch (IOException e) {
            log.debug("{}: send failed: {}", flow.id, e.getMessage());
            answerUnreachable(flow);
        } finally {
            buf.limit(limit).position(position);
        }
    }

    /** Answers the command's packet {@code ip} with ICMP port unreachable, as a closed port would. */
    private void refuse(IpPacket ip) {
        ByteBuffer out = output.buffer();
        builder.replyTo(ip);
        output.send(builder.portUnreachable(out.clear(), 0, ip));
    }

    /** The upstream reported an error: tell the command with a port unreachable quoting a datagram of its flow. */
    private void answerUnreachable(UdpFlow flow) {
        // Quote a minimal datagram of the flow: addresses and ports are what the command's stack matches on.
        ByteBuffer quoted = ByteBuffer.allocate(60).order(ByteOrder.BIG_ENDIAN);
        PacketBuilder reverse = new PacketBuilder();
        if (flow.key.v6()) {
            reverse.ipv6(flow.key.sourceHigh(), flow.key.sourceLow(), flow.key.destinationHigh(), flow.key.destinationLow());
        } else {
            reverse.ipv4((int) flow.key.sourceLow(), (int) flow.key.destinationLow());
        }
        int len = reverse.udp(quoted, 0, flow.key.sourcePort(), flow.key.destinationPort(), 0);
        refuse(flow.key.v6() ? quoted6.wrap(quoted, 0, len) : quoted4.wrap(quoted, 0, len));
    }

    /** Points the builder at the flow's reply direction: from its destination to its source. */
    private void address(UdpFlow flow) {
        FlowKey k = flow.key;
        if (k.v6()) {
            builder.ipv6(k.destinationHigh(), k.destinationLow(), k.sourceHigh(), k.sourceLow());
        } else {
            builder.ipv4((int) k.destinationLow(), (int) k.sourceLow());
        }
    }

    private long timeoutOf(UdpFlow f) {
        return switch (f.state) {
            case REFUSED -> config.refusedNanos();
            default -> f.key.destinationPort() == DNS_PORT ? config.dnsIdleNanos() : config.idleNanos();
        };
    }

    private void close(UdpFlow f) {
        if (f.selectionKey != null) f.selectionKey.cancel();
        if (f.upstream != null) closeQuietly(f.upstream);
        f.pending.clear();
    }

    private static void closeQuietly(UdpUpstream upstream) {
        try {
            upstream.close();
        } catch (IOException e) {
            log.debug("closing a UDP upstream: {}", e.getMessage());
        }
    }

    private IpPacket view(ByteBuffer packet) {
        int version = (packet.get(0) & 0xff) >>> 4;
        return version == 6 ? quoted6.wrap(packet, 0, packet.limit()) : quoted4.wrap(packet, 0, packet.limit());
    }

    private static ByteBuffer copy(IpPacket ip) {
        ByteBuffer copy = ByteBuffer.allocate(ip.length());
        copy.put(0, ip.buffer(), ip.offset(), ip.length());
        return copy;
    }
}
