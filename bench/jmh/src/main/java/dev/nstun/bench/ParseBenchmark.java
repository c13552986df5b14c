package dev.nstun.bench;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.DropReason;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every received TCP segment costs before the state machine sees it: the checked IPv4 and TCP
 * views, the header checksum, and the timestamps option (the payload checksum is the other
 * benchmark); and what writing a bare ACK costs. A 1500-byte segment in a direct buffer, as the
 * TUN loop reads it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ParseBenchmark {

    private final ByteBuffer packet = ByteBuffer.allocateDirect(1500);
    private final ByteBuffer out = ByteBuffer.allocateDirect(1500);
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();
    private final PacketBuilder builder = new PacketBuilder();
    private final TcpFields ack = new TcpFields().sourcePort(443).destinationPort(40000).seq(2000).ack(2448).flags(TcpSegment.ACK).window(512);
    private int length;

    @Setup
    public void build() {
        builder.ipv4(0xc6120001, 0xc6120002);
        int options = TcpOptions.emitTimestamps(packet, builder.tcpOptionsOffset(), 1, 2);
        length = builder.tcp(packet, 0, new TcpFields().sourcePort(40000).destinationPort(443).seq(1000).ack(2000).flags(TcpSegment.ACK)
                .window(512).optionsLength(options).payloadLength(1500 - 52));
    }

    /** Checked IPv4 and TCP views, IPv4 header checksum, flags and timestamps read. */
    @Benchmark
    public int parseSegment() {
        DropReason r = ip.wrapChecked(packet, 0, length);
        if (r != null || !Checksum.verifyIpv4Header(ip)) return -1;
        r = tcp.wrapChecked(packet, ip.payloadOffset(), ip.payloadLength());
        if (r != null) return -2;
        return tcp.seqNumber() + tcp.ackNumber() + tcp.flags() + tcp.window() + tcp.timestampValue() + tcp.payloadLength();
    }

    /** An ACK with timestamps, both checksums filled. */
    @Benchmark
    public int buildAck() {
        int options = TcpOptions.emitTimestamps(out, builder.tcpOptionsOffset(), 3, 4);
        return builder.tcp(out, 0, ack.optionsLength(options));
    }
}
