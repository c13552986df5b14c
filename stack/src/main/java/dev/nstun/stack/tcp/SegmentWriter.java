package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;

/**
 * Writes the packets of one connection into a {@link SegmentSink}: it knows the two addresses and
 * ports (ours is where the command's SYN went); the connection names every other field in a
 * {@link TcpFields} and the options in {@link SegmentOptions}. Allocates nothing for a connection's
 * segments (a RST answering a segment no connection takes gets its own {@link TcpFields}).
 */
final class SegmentWriter {
    private final boolean v6;
    private final int local4;
    private final int remote4;
    private final long localHigh;
    private final long localLow;
    private final long remoteHigh;
    private final long remoteLow;
    private final int localPort;
    private final int remotePort;

    /** Returns a writer for the connection {@code seg}, carried by {@code ip}, asks for: we answer as its destination. */
    static SegmentWriter answering(IpPacket ip, TcpSegment seg) {
        // Not a pattern switch: that is bootstrapped at its first use, the command's first connection.
        if (ip instanceof Ipv4Packet p) {
            return new SegmentWriter(false, p.destination(), p.source(), 0, 0, 0, 0, seg.destinationPort(), seg.sourcePort());
        }
        Ipv6Packet p = (Ipv6Packet) ip;
        return new SegmentWriter(true, 0, 0, p.destinationHigh(), p.destinationLow(), p.sourceHigh(), p.sourceLow(),
                seg.destinationPort(), seg.sourcePort());
    }

    private SegmentWriter(boolean v6, int local4, int remote4, long localHigh, long localLow, long remoteHigh,
                          long remoteLow, int localPort, int remotePort) {
        this.v6 = v6;
        this.local4 = local4;
        this.remote4 = remote4;
        this.localHigh = localHigh;
        this.localLow = localLow;
        this.remoteHigh = remoteHigh;
        this.remoteLow = remoteLow;
        this.localPort = localPort;
        this.remotePort = remotePort;
    }

    /** Returns the IP header length of this connection's packets: 20 or 40. */
    int ipHeaderLength() {
        return v6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.HEADER_LENGTH;
    }

    /** Returns whether the connection runs over IPv6. */
    boolean isIpv6() {
        return v6;
    }

    /** Returns the local (server-side) port. */
    int localPort() {
        return localPort;
    }

    /** Returns the remote (command-side) port. */
    int remotePort() {
        return remotePort;
    }

    /** Writes a SYN-ACK: {@code header}'s seq, ack and window (the ports and flags are set here) with {@code options}; returns false when the sink is full. */
    boolean synAck(SegmentSink sink, TcpFields header, TcpOptions options) {
        ByteBuffer buf = sink.buffer();
        if (buf == null) return false;
        PacketBuilder b = addressed(sink.builder());
        header.sourcePort(localPort).destinationPort(remotePort).flags(TcpSegment.SYN | TcpSegment.ACK).payloadLength(0);
        sink.emit(b.tcp(buf, buf.position(), header, options));
        return true;
    }

    /**
     * Writes the segment {@code header} describes (the ports and the options length are set here) with
     * {@code options}, and the {@link TcpFields#payloadLength} bytes of {@code payload}'s chosen segment
     * (none: null): copied in behind the headers, or, for a sink that {@link SegmentSink#offloadsTcp},
     * left in the send buffer for the link to read from there. Returns false when the sink is full.
     */
    boolean segment(SegmentSink sink, TcpFields header, SegmentOptions options, TcpSender payload) {
        ByteBuffer buf = sink.buffer();
        if (buf == null) return false;
        PacketBuilder b = addressed(sink.builder());
        int at = buf.position();
        int optionsLength = options.emitInto(buf, at + b.tcpOptionsOffset());
        int payloadLength = header.payloadLength();
        boolean apart = payloadLength > 0 && sink.offloadsTcp();
        if (payloadLength > 0 && !apart) payload.copyPayload(buf, at + b.tcpPayloadOffset(optionsLength));
        int length = b.tcp(buf, at, header.sourcePort(localPort).destinationPort(remotePort).optionsLength(optionsLength));
        if (apart) {
            int runs = payload.payloadRuns();
            sink.emitTcp(length - payloadLength, payload.payloadRun(0), runs > 1 ? payload.payloadRun(1) : null,
                    payload.outSegmentSize());
        } else {
            sink.emit(length);
        }
        return true;
    }

    /**
     * Writes the RST that answers {@code seg} (carried by {@code ip}) when no connection takes it
     * (RFC 9293 §3.10.7.1): {@code <SEQ=SEG.ACK><CTL=RST>} if it has an ACK, else {@code <SEQ=0>
     * <ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}. Nothing answers a RST. Returns whether a packet was written.
     */
    static boolean resetFor(IpPacket ip, TcpSegment seg, SegmentSink sink) {
        if (seg.rst()) return false;
        ByteBuffer buf = sink.buffer();
        if (buf == null) return false;
        PacketBuilder b = sink.builder().replyTo(ip);
        TcpFields reset = new TcpFields().sourcePort(seg.destinationPort()).destinationPort(seg.sourcePort());
        if (seg.ack()) reset.seq(seg.ackNumber()).flags(TcpSegment.RST);
        else reset.ack(seg.seqNumber() + seg.segmentLength()).flags(TcpSegment.RST | TcpSegment.ACK);
        sink.emit(b.tcp(buf, buf.position(), reset));
        return true;
    }

    private PacketBuilder addressed(PacketBuilder b) {
        return v6 ? b.ipv6(localHigh, localLow, remoteHigh, remoteLow) : b.ipv4(local4, remote4);
    }
}
