package dev.nstun.stack.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Writes raw IP packets to a classic pcap file (LINKTYPE_RAW: each record is an IPv4 or IPv6
 * packet, no link header) that tcpdump and Wireshark read. Thread-safe: both directions of a link
 * write through one writer. Records are buffered; {@link #flush()} or {@link #close()} writes them.
 */
public final class PcapWriter implements AutoCloseable {
    private static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    private static final int LINKTYPE_RAW = 101;
    private static final int RECORD_HEADER = 16;

    private final FileChannel out;
    private final int snapLength;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.nativeOrder());

    private PcapWriter(FileChannel out, int snapLength) {
        this.out = out;
        this.snapLength = snapLength;
    }

    /**
     * Writes the pcap file header to {@code out}, an empty file opened for writing (whoever opens it
     * decides with whose rights), and returns a writer that owns it; closes it if the header fails.
     */
    public static PcapWriter create(FileChannel out, int snapLength) throws IOException {
        PcapWriter w = new PcapWriter(out, snapLength);
        w.buffer.putInt(MAGIC_MICROSECONDS).putShort((short) 2).putShort((short) 4)
                .putInt(0).putInt(0).putInt(snapLength).putInt(LINKTYPE_RAW);
        try {
            w.flush();
        } catch (IOException e) {
            out.close();
            throw e;
        }
        return w;
    }

    /** Records the packet between {@code packet}'s position and limit, leaving the buffer as it was. */
    public synchronized void write(ByteBuffer packet, long epochMicros) throws IOException {
        int length = packet.remaining();
        int captured = Math.min(length, snapLength);
        if (buffer.remaining() < RECORD_HEADER + captured) flush();
        buffer.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000))
                .putInt(captured).putInt(length);
        buffer.put(buffer.position(), packet, packet.position(), captured);
        buffer.position(buffer.position() + captured);
    }

    /** Writes buffered records to the file. */
    public synchronized void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) out.write(buffer);
        buffer.clear();
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }
}
