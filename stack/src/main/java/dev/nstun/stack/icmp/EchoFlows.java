package dev.nstun.stack.icmp;

import dev.nstun.stack.PacketOutput;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.FlowTable;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.DropReason;
import dev.nstun.stack.wire.IcmpMessage;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.IcmpV6Message;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command's ICMP and ICMPv6: echo requests (RFC 792, RFC 4443 §4) are relayed through an
 * {@link EchoTransport} and its replies answered back with the command's own identifier, so
 * {@code ping} works; requests to nstun's own addresses are answered here. Everything else the
 * command's kernel sends (router solicitations, neighbour discovery, MLD reports) is dropped
 * silently: nothing on the TUN could answer it.
 *
 * <p>Flows are keyed by the command's source, destination and identifier, as a ping socket or a NAT
 * would key them (RFC 5508 §3.1). Lives on the loop thread and never reads a clock; the transport
 * calls back on its own thread and replies reach the loop through {@code onLoop}, as a copy. Idle
 * flows expire; the table is bounded, the least recently used flow making room for a new one.
 */
public final class EchoFlows {
    private static final Logger log = LoggerFactory.getLogger(EchoFlows.class);
    private static final int QUOTE_CAPACITY = Ipv6Packet.HEADER_LENGTH + IcmpMessage.HEADER_LENGTH;

    /**
     * Limits (idle timeout, table size, replies per flow waiting for the loop) and the addresses
     * answered here without any socket (nstun's resolver addresses).
     */
    public record Config(long idleNanos, int maxFlows, int maxBacklog, List<InetAddress> answeredLocally) {
        public Config {
            answeredLocally = List.copyOf(answeredLocally);
        }

        /** Defaults: 30 s idle (Linux conntrack's ICMP timeout), 1024 flows, 64 waiting replies per flow. */
        public static Config defaults(List<InetAddress> answeredLocally) {
            return new Config(30_000_000_000L, 1024, 64, answeredLocally);
        }
    }

    private final EchoTransport transport;
    private final Consumer<Runnable> onLoop;
    private final PacketOutput output;
    private final StackCounters counters;
    private final EchoCounters echoCounters = new EchoCounters();
    private final Config config;
    private final int[] local4;
    private final long[] local6;
    private final PacketBuilder builder = new PacketBuilder();
    private final PacketBuilder quoteBuilder = new PacketBuilder();
    private final ByteBuffer quote = ByteBuffer.allocate(QUOTE_CAPACITY);
    private final IcmpV4Message icmp4 = new IcmpV4Message();
    private final IcmpV6Message icmp6 = new IcmpV6Message();
    private final EchoKey probe = new EchoKey();
    private final FlowTable<EchoKey, EchoFlow> flows;

    public EchoFlows(EchoTransport transport, Consumer<Runnable> onLoop, PacketOutput output,
                     StackCounters counters, Config config) {
        this.transport = transport;
        this.onLoop = onLoop;
        this.output = output;
        this.counters = counters;
        this.config = config;
        this.flows = new FlowTable<>(config.maxFlows(), f -> f.lastActiveNanos + config.idleNanos(), EchoFlows::close);
        this.local4 = config.answeredLocally().stream().filter(a -> a instanceof Inet4Address)
                .mapToInt(a -> Ipv4Packet.toInt((Inet4Address) a)).toArray();
        this.local6 = config.answeredLocally().stream().filter(a -> a instanceof Inet6Address)
                .flatMapToLong(a -> LongStream.of(Ipv6Packet.high((Inet6Address) a), Ipv6Packet.low((Inet6Address) a)))
                .toArray();
    }

    /**
     * Handles an ICMP (in IPv4) or ICMPv6 (in IPv6) packet from the command; {@code ip} is checked
     * and not a fragment. Verifies the checksum; relays or answers echo requests, drops the rest.
     */
    public void onPacket(long nowNanos, IpPacket ip) {
        IcmpMessage icmp;
        DropReason bad;
        if (ip instanceof Ipv4Packet && ip.protocol() == IpProtocol.ICMP) {
            bad = icmp4.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            if (bad == null && !Checksum.verifyIcmpV4(icmp4)) bad = DropReason.ICMP_BAD_CHECKSUM;
            icmp = icmp4;
        } else if (ip instanceof Ipv6Packet ip6 && ip.protocol() == IpProtocol.ICMPV6) {
            bad = icmp6.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            if (bad == null && !Checksum.verifyIcmpV6(ip6, icmp6)) bad = DropReason.ICMP_BAD_CHECKSUM;
            icmp = icmp6;
        } else {
            bad = DropReason.UNSUPPORTED_PROTOCOL; // ICMPv4 inside IPv6 or the other way round
            icmp = null;
        }
        if (bad != null) {
            counters.count(bad);
            return;
        }
        if (!icmp.isEchoRequest()) {
            echoCounters.count(EchoCounters.Drop.NOT_ECHO_REQUEST);
            return;
        }
        if (answeredLocally(ip)) {
            answerLocally(ip, icmp);
            return;
        }
        EchoFlow flow = flows.get(probe.set(ip, icmp.identifier()));
        if (flow == null) flow = open(nowNanos, ip);
        flow.lastActiveNanos = nowNanos;
        switch (flow.state) {
            case OPEN -> forward(flow, ip, icmp);
            case REFUSED -> {
                builder.replyTo(ip);
                output.send(builder.adminProhibited(output.buffer().clear(), 0, ip));
            }
            case UNREACHABLE -> answerNoRoute(ip);
        }
    }

    /** Adds a snapshot of every flow in the table at {@code nowNanos} to {@code into} (loop thread). */
    public void snapshot(long nowNanos, List<FlowSnapshot> into) {
        flows.forEach(f -> {
            EchoKey k = f.key;
            InetAddress source = k.v6 ? Ipv6Packet.address(k.sourceHigh, k.sourceLow) : Ipv4Packet.address((int) k.sourceLow);
            FlowId id = new FlowId(FlowId.Protocol.ICMP, source, k.identifier, f.destination, 0);
            into.add(new FlowSnapshot(id, f.state.name(), f.bytesToUpstream, f.bytesFromUpstream, nowNanos - f.openedNanos));
        });
    }

    /** Returns the number of flows in the table. */
    public int size() {
        return flows.size();
    }

    /** Returns the relay's own drop counters. */
    public EchoCounters counters() {
        return echoCounters;
    }

    /** Closes flows idle past their timeout; returns when the next one may expire ({@link Long#MAX_VALUE} if none). */
    public long expire(long nowNanos) {
        return flows.expire(nowNanos);
    }

    /** Closes every flow (the loop is ending). */
    public void closeAll() {
        flows.closeAll();
    }

    private EchoFlow open(long nowNanos, IpPacket ip) {
        EchoKey key = probe.copy();
        EchoFlow flow = new EchoFlow(this, key, ip.destinationAddress(), nowNanos);
        flows.add(key, flow);
        try {
            flow.channel = transport.open(flow.destination, flow);
            flow.state = EchoFlow.State.OPEN;
            log.debug("{}: open", flow);
        } catch (FlowRefusedException e) {
            flow.state = EchoFlow.State.REFUSED;
            log.debug("{}: refused: {}", flow, e.getMessage());
        } catch (IOException | RuntimeException e) {
            flow.state = EchoFlow.State.UNREACHABLE;
            log.info("{}: cannot relay echo requests: {}", flow, e.getMessage());
        }
        return flow;
    }

    private void forward(EchoFlow flow, IpPacket ip, IcmpMessage icmp) {
        ByteBuffer buf = icmp.buffer();
        int limit = buf.limit();
        int position = buf.position();
        buf.limit(icmp.payloadOffset() + icmp.payloadLength()).position(icmp.payloadOffset());
        try {
            int n = buf.remaining();
            if (flow.channel.send(icmp.sequence(), buf)) {
                flow.bytesToUpstream += n;
            } else {
                echoCounters.count(EchoCounters.Drop.UPSTREAM_BUSY);
            }
        } catch (IOException e) {
            log.debug("{}: send failed: {}", flow, e.getMessage());
            answerNoRoute(ip);
        } finally {
            buf.limit(limit).position(position);
        }
    }

    /** Answers an echo request to one of nstun's own addresses: same identifier, sequence and data. */
    private void answerLocally(IpPacket ip, IcmpMessage icmp) {
        ByteBuffer out = output.buffer().clear();
        builder.replyTo(ip);
        int length = icmp.payloadLength();
        out.put(builder.icmpPayloadOffset(), icmp.buffer(), icmp.payloadOffset(), length);
        output.send(builder.icmpEcho(out, 0, false, icmp.identifier(), icmp.sequence(), length));
    }

    /** Answers the command's request {@code ip} with "network unreachable" (IPv6: "no route to destination"). */
    private void answerNoRoute(IpPacket ip) {
        builder.replyTo(ip);
        output.send(builder.networkUnreachable(output.buffer().clear(), 0, ip));
    }

    /** Transport thread: copies the reply and posts it to the loop, unless the flow's backlog is full. */
    void replyArrived(EchoFlow flow, int sequence, ByteBuffer payload) {
        if (!reserveBacklog(flow)) return;
        byte[] data = new byte[payload.remaining()];
        payload.get(payload.position(), data);
        onLoop.accept(() -> deliverReply(flow, sequence, data));
    }

    /** Transport thread: posts an error to the loop, unless the flow's backlog is full. */
    void errorArrived(EchoFlow flow, InetAddress reporter, int type, int code, int restOfHeader, int sequence) {
        if (!reserveBacklog(flow)) return;
        onLoop.accept(() -> deliverError(flow, reporter, type, code, restOfHeader, sequence));
    }

    private boolean reserveBacklog(EchoFlow flow) {
        if (flow.backlog.incrementAndGet() > config.maxBacklog()) {
            flow.backlog.decrementAndGet();
            echoCounters.count(EchoCounters.Drop.REPLY_BACKLOG);
            return false;
        }
        return true;
    }

    /** Loop thread: the echo reply to the command, from the address it pinged, with its identifier. */
    private void deliverReply(EchoFlow flow, int sequence, byte[] data) {
        flow.backlog.decrementAndGet();
        if (flows.get(flow.key) != flow) {
            echoCounters.count(EchoCounters.Drop.REPLY_LATE);
            return;
        }
        replyDirection(flow);
        ByteBuffer out = output.buffer().clear();
        if (builder.icmpPayloadOffset() + data.length > out.capacity()) {
            echoCounters.count(EchoCounters.Drop.REPLY_UNUSABLE);
            return;
        }
        out.put(builder.icmpPayloadOffset(), data);
        flow.bytesFromUpstream += data.length;
        output.send(builder.icmpEcho(out, 0, false, flow.key.identifier, sequence, data.length));
    }

    /**
     * Loop thread: the error to the command, from the address that reported it, quoting the
     * command's request (IP header and the echo header: what its stack matches the error on).
     */
    private void deliverError(EchoFlow flow, InetAddress reporter, int type, int code, int restOfHeader, int sequence) {
        flow.backlog.decrementAndGet();
        if (flows.get(flow.key) != flow) {
            echoCounters.count(EchoCounters.Drop.REPLY_LATE);
            return;
        }
        EchoKey k = flow.key;
        if (!isRelayedError(k.v6, type)) {
            echoCounters.count(EchoCounters.Drop.REPLY_UNUSABLE);
            return;
        }
        if (k.v6) {
            quoteBuilder.ipv6(k.sourceHigh, k.sourceLow, k.destinationHigh, k.destinationLow);
            if (reporter instanceof Inet6Address r) {
                builder.ipv6(Ipv6Packet.high(r), Ipv6Packet.low(r), k.sourceHigh, k.sourceLow);
            } else {
                builder.ipv6(k.destinationHigh, k.destinationLow, k.sourceHigh, k.sourceLow);
            }
        } else {
            quoteBuilder.ipv4((int) k.sourceLow, (int) k.destinationLow);
            int from = reporter instanceof Inet4Address r ? Ipv4Packet.toInt(r) : (int) k.destinationLow;
            builder.ipv4(from, (int) k.sourceLow);
        }
        int quoted = quoteBuilder.icmpEcho(quote.clear(), 0, true, k.identifier, sequence, 0);
        output.send(builder.icmpError(output.buffer().clear(), 0, type, code, restOfHeader, quote, 0, quoted));
    }

    /** Returns whether {@code type} is an error we pass to the command: unreachable, too big, time exceeded, parameter problem. */
    private static boolean isRelayedError(boolean v6, int type) {
        if (v6) {
            return type == IcmpV6Message.TYPE_DESTINATION_UNREACHABLE || type == IcmpV6Message.TYPE_PACKET_TOO_BIG
                    || type == IcmpV6Message.TYPE_TIME_EXCEEDED || type == IcmpV6Message.TYPE_PARAMETER_PROBLEM;
        }
        return type == IcmpV4Message.TYPE_DESTINATION_UNREACHABLE || type == IcmpV4Message.TYPE_TIME_EXCEEDED
                || type == IcmpV4Message.TYPE_PARAMETER_PROBLEM;
    }

    /** Points the builder at the flow's reply direction: from its destination to its source. */
    private void replyDirection(EchoFlow flow) {
        EchoKey k = flow.key;
        if (k.v6) {
            builder.ipv6(k.destinationHigh, k.destinationLow, k.sourceHigh, k.sourceLow);
        } else {
            builder.ipv4((int) k.destinationLow, (int) k.sourceLow);
        }
    }

    private boolean answeredLocally(IpPacket ip) {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use
        // (the class-data archive holds none), on the first ping.
        if (ip instanceof Ipv4Packet p) {
            int dst = p.destination();
            for (int a : local4) if (a == dst) return true;
            return false;
        }
        Ipv6Packet p = (Ipv6Packet) ip;
        long high = p.destinationHigh();
        long low = p.destinationLow();
        for (int i = 0; i < local6.length; i += 2) if (local6[i] == high && local6[i + 1] == low) return true;
        return false;
    }

    private static void close(EchoFlow f) {
        if (f.channel != null) f.channel.close();
    }
}
