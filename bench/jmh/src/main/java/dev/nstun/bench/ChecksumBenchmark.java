package dev.nstun.bench;

import dev.nstun.stack.wire.Checksum;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The internet checksum over an Ethernet-MTU packet and over the largest TUN packet (pasta's 65520
 * MTU), in heap and direct buffers, against the plain 16-bit loop of RFC 1071 as the baseline.
 * Nanoseconds per call; GB/s is {@code size / ns}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmark {

    @Param({"1500", "65520"})
    int size;

    @Param({"heap", "direct"})
    String memory;

    private ByteBuffer buf;

    @Setup
    public void fill() {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        buf = memory.equals("direct") ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        buf.put(0, data);
    }

    /** The stack's checksum: 8 bytes per read, carries folded once at the end. */
    @Benchmark
    public int sum() {
        return Checksum.sum(buf, 0, size);
    }

    /** Baseline: RFC 1071 as written, one 16-bit word per add. */
    @Benchmark
    public int wordAtATime() {
        long sum = 0;
        int i = 0;
        for (; i + 1 < size; i += 2) sum += buf.getShort(i) & 0xffff;
        if (i < size) sum += (buf.get(i) & 0xff) << 8;
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }
}
